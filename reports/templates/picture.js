// The weekly picture's only script: pan and zoom the map, tap a marker to read its note.
// Inline, no library, nothing fetched. Without it the markers are links to the numbered list.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var svg = document.getElementById("map-svg");
  var pop = document.getElementById("pop");
  if (!svg || !pop) {
    return;
  }
  var body = pop.querySelector(".pop-body");
  var base = svg.viewBox.baseVal;
  var home = [base.x, base.y, base.width, base.height];
  var view = home.slice();
  var pointers = {};
  var moved = 0;

  function apply() {
    svg.setAttribute("viewBox", view.join(" "));
    svg.classList.toggle("zoomed", view[2] < home[2] - 0.01);
  }

  function clamp() {
    view[2] = Math.min(home[2], Math.max(home[2] / 10, view[2]));
    view[3] = (view[2] * home[3]) / home[2];
    view[0] = Math.min(home[0] + home[2] - view[2], Math.max(home[0], view[0]));
    view[1] = Math.min(home[1] + home[3] - view[3], Math.max(home[1], view[1]));
  }

  function zoom(factor, x, y) {
    if (x === undefined) {
      x = view[0] + view[2] / 2;
      y = view[1] + view[3] / 2;
    }
    view[0] = x - (x - view[0]) / factor;
    view[1] = y - (y - view[1]) / factor;
    view[2] /= factor;
    view[3] /= factor;
    clamp();
    apply();
  }

  function toMap(clientX, clientY) {
    var r = svg.getBoundingClientRect();
    return [
      view[0] + ((clientX - r.left) / r.width) * view[2],
      view[1] + ((clientY - r.top) / r.height) * view[3],
    ];
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-zoom]"), function (button) {
    button.addEventListener("click", function () {
      var how = button.getAttribute("data-zoom");
      if (how === "in") {
        zoom(1.6);
      } else if (how === "out") {
        zoom(1 / 1.6);
      } else {
        view = home.slice();
        apply();
      }
    });
  });

  svg.addEventListener(
    "wheel",
    function (event) {
      if (!event.ctrlKey && !svg.classList.contains("zoomed") && event.deltaY > 0) {
        return;
      }
      event.preventDefault();
      var at = toMap(event.clientX, event.clientY);
      zoom(event.deltaY < 0 ? 1.25 : 0.8, at[0], at[1]);
    },
    { passive: false }
  );

  function spread() {
    var ids = Object.keys(pointers);
    if (ids.length < 2) {
      return 0;
    }
    var a = pointers[ids[0]];
    var b = pointers[ids[1]];
    return Math.hypot(a[0] - b[0], a[1] - b[1]);
  }

  svg.addEventListener("pointerdown", function (event) {
    pointers[event.pointerId] = [event.clientX, event.clientY];
    moved = 0;
  });
  svg.addEventListener("pointermove", function (event) {
    var last = pointers[event.pointerId];
    if (!last) {
      return;
    }
    var count = Object.keys(pointers).length;
    var before = spread();
    pointers[event.pointerId] = [event.clientX, event.clientY];
    if (count >= 2) {
      var after = spread();
      if (before > 0 && after > 0) {
        var ids = Object.keys(pointers);
        var mid = toMap(
          (pointers[ids[0]][0] + pointers[ids[1]][0]) / 2,
          (pointers[ids[0]][1] + pointers[ids[1]][1]) / 2
        );
        zoom(after / before, mid[0], mid[1]);
        moved += 10;
      }
      return;
    }
    if (!svg.classList.contains("zoomed") || event.buttons === 0) {
      return;
    }
    var r = svg.getBoundingClientRect();
    var dx = event.clientX - last[0];
    var dy = event.clientY - last[1];
    moved += Math.abs(dx) + Math.abs(dy);
    view[0] -= (dx / r.width) * view[2];
    view[1] -= (dy / r.height) * view[3];
    clamp();
    apply();
  });
  function release(event) {
    delete pointers[event.pointerId];
  }
  svg.addEventListener("pointerup", release);
  svg.addEventListener("pointercancel", release);
  svg.addEventListener("pointerleave", release);

  function open(numbers) {
    body.textContent = "";
    numbers.slice(0, 20).forEach(function (number) {
      var entry = document.getElementById("o" + number);
      if (!entry) {
        return;
      }
      var copy = entry.cloneNode(true);
      copy.removeAttribute("id");
      copy.classList.add("in-pop");
      body.appendChild(copy);
    });
    var link = pop.querySelector(".pop-list");
    link.setAttribute("href", "#o" + numbers[0]);
    var more = pop.querySelector(".pop-more");
    more.hidden = numbers.length <= 20;
    pop.hidden = false;
    pop.querySelector(".pop-close").focus();
  }

  Array.prototype.forEach.call(svg.querySelectorAll("a.mk"), function (marker) {
    marker.addEventListener("click", function (event) {
      event.preventDefault();
      if (moved > 8) {
        return;
      }
      open(marker.getAttribute("data-n").split(" "));
    });
  });
  pop.querySelector(".pop-close").addEventListener("click", function () {
    pop.hidden = true;
  });
  pop.querySelector(".pop-list").addEventListener("click", function () {
    pop.hidden = true;
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      pop.hidden = true;
    }
  });
})();
