"""Brussels gazetteer: the 145 monitoring wijken, the 19 municipalities and point lookup."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from typing import Any

import numpy as np
import shapely
from shapely import STRtree
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from geo.distance import BRUSSELS_FRAME, LatLon, check_lat_lon, distance_m

WIJKEN_FILE = "neighbourhoods_monitoring_145.geojson"
MUNICIPALITIES_FILE = "municipalities_19.geojson"

FALLBACK_MAX_M = 25.0
"""Points outside every polygon but within this many metres of one take the nearest polygon."""

NEIGHBOUR_TOLERANCE_M = 1.0
"""Wijken closer than this (metres) count as touching, absorbing sub-metre slivers."""

LANGUAGES = ("nl", "fr", "en")

# Search radius in the local frame: its scale error is < 0.5 %, and candidates are then
# measured geodesically against FALLBACK_MAX_M.
_FALLBACK_SEARCH_M = FALLBACK_MAX_M * 1.01 + 0.5


def normalize_language(language: str) -> str:
    """Return "nl", "fr" or "en" for a language tag such as "nl-BE"; raise ValueError otherwise."""
    code = language.replace("_", "-").split("-", 1)[0].strip().lower()
    if code not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}; expected one of {LANGUAGES}")
    return code


def _pick_name(name_nl: str, name_fr: str, language: str) -> str:
    """Return the Dutch name for "nl", else the French display name (also used for "en")."""
    return name_nl if normalize_language(language) == "nl" else name_fr


@dataclass(frozen=True)
class Municipality:
    """One of the 19 Brussels municipalities (UrbIS-Adm boundaries)."""

    nis: int
    name_nl: str
    name_fr: str
    area_km2: float
    label: LatLon
    geometry: BaseGeometry = field(compare=False, repr=False)

    def name(self, language: str) -> str:
        """Return the name in nl/fr/en (English uses the French name)."""
        return _pick_name(self.name_nl, self.name_fr, language)


@dataclass(frozen=True)
class Wijk:
    """One of the 145 Monitoring des Quartiers / Wijkmonitoring neighbourhoods."""

    code: int
    name_nl: str
    name_fr: str
    kind: str
    municipality_nis: int
    area_km2: float
    label: LatLon
    geometry: BaseGeometry = field(compare=False, repr=False)
    municipalities: tuple[int, ...] = ()
    alt_names: tuple[str, ...] = field(default=(), compare=False, repr=False)

    def name(self, language: str) -> str:
        """Return the name in nl/fr/en (English uses the French display name)."""
        return _pick_name(self.name_nl, self.name_fr, language)


@dataclass(frozen=True)
class Location:
    """Result of locating a (lat, lon) point in the gazetteer."""

    lat: float
    lon: float
    wijk_code: int | None
    wijk_name_nl: str | None
    wijk_name_fr: str | None
    municipality_nis: int | None
    municipality_name_nl: str | None
    municipality_name_fr: str | None
    in_brussels: bool
    fallback_m: float | None = None

    def wijk_name(self, language: str) -> str | None:
        """Return the wijk name in nl/fr/en, or None outside Brussels."""
        if self.wijk_name_nl is None or self.wijk_name_fr is None:
            return None
        return _pick_name(self.wijk_name_nl, self.wijk_name_fr, language)

    def municipality_name(self, language: str) -> str | None:
        """Return the municipality name in nl/fr/en, or None outside Brussels."""
        if self.municipality_name_nl is None or self.municipality_name_fr is None:
            return None
        return _pick_name(self.municipality_name_nl, self.municipality_name_fr, language)


def _to_local(geometry: BaseGeometry) -> BaseGeometry:
    """Project a lon/lat geometry to the local metric frame."""
    frame = BRUSSELS_FRAME

    def project(coords: np.ndarray) -> np.ndarray:
        """Return (lon, lat) rows as (x, y) metres."""
        out = np.empty_like(coords)
        out[:, 0] = (coords[:, 0] - frame.lon0) * frame.kx
        out[:, 1] = (coords[:, 1] - frame.lat0) * frame.ky
        return out

    return shapely.transform(geometry, project)


class _Layer:
    """A polygon layer in the local metric frame with an STRtree and a naive reference path."""

    def __init__(self, geometries: Sequence[BaseGeometry]) -> None:
        """Project and index the given lon/lat geometries."""
        self.local = np.array([_to_local(g) for g in geometries], dtype=object)
        shapely.prepare(self.local)
        self.polygons: list[BaseGeometry] = list(self.local)
        self.tree = STRtree(self.local)

    def hit(self, point: np.ndarray) -> int | None:
        """Return the lowest index of a polygon holding the point (a 1-element array), or None."""
        # The tree narrows by envelope; the test itself runs on the *prepared* polygons, which
        # is 4-25x faster than query(predicate=...), where GEOS prepares the point instead.
        # A 1-element array instead of a scalar also skips costly wrapper overhead.
        target = point[0]
        found: int | None = None
        for index in self.tree.query(point)[1].tolist():
            if (found is None or index < found) and self.polygons[index].intersects(target):
                found = index
        return found

    def hits(self, points: np.ndarray) -> list[int]:
        """Return, per point, the lowest index of a polygon holding it, or -1 (vectorised)."""
        pairs = self.tree.query(points)
        inside = shapely.intersects(self.local[pairs[1]], points[pairs[0]])
        found = [-1] * len(points)
        for point_index, index in zip(
            pairs[0][inside].tolist(), pairs[1][inside].tolist(), strict=True
        ):
            current = found[point_index]
            if current < 0 or index < current:
                found[point_index] = index
        return found

    def near(self, point: np.ndarray, lat: float, lon: float) -> tuple[int | None, float | None]:
        """Return (index, metres) of the nearest polygon within the fallback distance."""
        near = self.tree.query(point, predicate="dwithin", distance=_FALLBACK_SEARCH_M)[1]
        return self._nearest(near, point[0], lat, lon)

    def find_naive(
        self, point: shapely.Point, lat: float, lon: float
    ) -> tuple[int | None, float | None]:
        """Return (index, fallback metres) by testing every polygon in turn (reference, slow)."""
        for index, polygon in enumerate(self.local):
            if polygon.intersects(point):
                return index, None
        limit = _FALLBACK_SEARCH_M
        near = [i for i, polygon in enumerate(self.local) if polygon.distance(point) <= limit]
        return self._nearest(near, point, lat, lon)

    def _nearest(
        self, candidates: Iterable[Any], point: shapely.Point, lat: float, lon: float
    ) -> tuple[int | None, float | None]:
        """Return the candidate nearest to the point (geodesic metres) if within the fallback."""
        best: tuple[float, int] | None = None
        for raw in candidates:
            index = int(raw)
            nearest = shapely.shortest_line(self.local[index], point).coords[0]
            metres = distance_m((lat, lon), BRUSSELS_FRAME.inverse(nearest[0], nearest[1]))
            if best is None or (metres, index) < best:
                best = (metres, index)
        if best is None or best[0] > FALLBACK_MAX_M:
            return None, None
        return best[1], best[0]


class Gazetteer:
    """The wijken and municipalities of the Brussels-Capital Region with fast point lookup."""

    def __init__(self, wijken: Iterable[Wijk], municipalities: Iterable[Municipality]) -> None:
        """Index the given wijken and municipalities (sorted by code)."""
        self._wijken = tuple(sorted(wijken, key=lambda w: w.code))
        self._municipalities = tuple(sorted(municipalities, key=lambda m: m.nis))
        self._by_code = {w.code: w for w in self._wijken}
        self._by_nis = {m.nis: m for m in self._municipalities}
        self._wijk_layer = _Layer([w.geometry for w in self._wijken])
        self._municipality_layer = _Layer([m.geometry for m in self._municipalities])
        # Everything within the fallback distance of either layer: a far-away point needs
        # no nearest-polygon search at all.
        self._near_region = shapely.union_all(
            np.concatenate([self._wijk_layer.local, self._municipality_layer.local])
        ).buffer(_FALLBACK_SEARCH_M + 1.0, quad_segs=4)
        shapely.prepare(self._near_region)

    @classmethod
    def load(cls) -> Gazetteer:
        """Load a new gazetteer from the data packaged with geo (prefer get_gazetteer())."""
        data = resources.files("geo").joinpath("data")
        wijken = _read_geojson(data.joinpath(WIJKEN_FILE).read_bytes())
        municipalities = _read_geojson(data.joinpath(MUNICIPALITIES_FILE).read_bytes())
        return cls.from_geojson(wijken, municipalities)

    @classmethod
    def from_geojson(cls, wijken: dict[str, Any], municipalities: dict[str, Any]) -> Gazetteer:
        """Build a gazetteer from the two GeoJSON FeatureCollections."""
        return cls(
            [_wijk_from_feature(f) for f in wijken["features"]],
            [_municipality_from_feature(f) for f in municipalities["features"]],
        )

    # -- lookup by code ---------------------------------------------------------------------

    def wijken(self) -> tuple[Wijk, ...]:
        """Return all wijken sorted by code."""
        return self._wijken

    def municipalities(self) -> tuple[Municipality, ...]:
        """Return all municipalities sorted by NIS code."""
        return self._municipalities

    def wijk(self, code: int | str) -> Wijk | None:
        """Return the wijk with this mdrc code, or None."""
        try:
            return self._by_code.get(int(code))
        except (TypeError, ValueError):
            return None

    def municipality(self, nis: int | str) -> Municipality | None:
        """Return the municipality with this NIS code, or None."""
        try:
            return self._by_nis.get(int(nis))
        except (TypeError, ValueError):
            return None

    def wijk_name(self, code: int, language: str) -> str:
        """Return the wijk's name in nl/fr/en (en uses the French display name)."""
        found = self.wijk(code)
        if found is None:
            raise KeyError(f"unknown wijk code {code!r}")
        return found.name(language)

    @cached_property
    def bbox(self) -> tuple[float, float, float, float]:
        """Return the region's bounding box as (south, west, north, east) degrees."""
        west, south, east, north = shapely.total_bounds(
            [w.geometry for w in self._wijken] + [m.geometry for m in self._municipalities]
        )
        return float(south), float(west), float(north), float(east)

    @cached_property
    def region(self) -> BaseGeometry:
        """Return the outline of the region (union of the municipalities, lon/lat)."""
        return shapely.union_all([m.geometry for m in self._municipalities])

    # -- adjacency --------------------------------------------------------------------------

    @cached_property
    def _adjacency(self) -> dict[int, frozenset[int]]:
        """Return, per wijk code, the codes of the wijken touching it."""
        layer = self._wijk_layer
        pairs = layer.tree.query(layer.local, predicate="dwithin", distance=NEIGHBOUR_TOLERANCE_M)
        adjacency: dict[int, set[int]] = {w.code: set() for w in self._wijken}
        for a, b in zip(pairs[0].tolist(), pairs[1].tolist(), strict=True):
            if a != b:
                adjacency[self._wijken[a].code].add(self._wijken[b].code)
        return {code: frozenset(codes) for code, codes in adjacency.items()}

    def neighbours(self, codes: Iterable[int]) -> set[int]:
        """Return codes of wijken touching the given set, excluding the set; skip unknown codes."""
        wanted = {int(c) for c in codes}
        result: set[int] = set()
        for code in wanted:
            result |= self._adjacency.get(code, frozenset())
        return result - wanted

    # -- point lookup -----------------------------------------------------------------------

    def locate(self, lat: float, lon: float) -> Location:
        """Return the wijk and municipality holding (lat, lon), via the STRtree indexes."""
        lat, lon = float(lat), float(lon)
        check_lat_lon(lat, lon)
        point = shapely.points(np.array([BRUSSELS_FRAME.forward(lat, lon)]))
        return self._locate_point(point, lat, lon, None, None)

    def _locate_point(
        self,
        point: np.ndarray,
        lat: float,
        lon: float,
        wijk_index: int | None,
        municipality_index: int | None,
    ) -> Location:
        """Locate a projected point (1-element array), given any layer hits already known."""
        if municipality_index is None:
            municipality_index = self._municipality_layer.hit(point)
        if municipality_index is None and not self._near_region.intersects(point[0]):
            return self._location(lat, lon, (None, None), (None, None))
        if wijk_index is None:
            wijk_index = self._wijk_layer.hit(point)
        wijk: tuple[int | None, float | None] = (wijk_index, None)
        municipality: tuple[int | None, float | None] = (municipality_index, None)
        if wijk_index is None:
            wijk = self._wijk_layer.near(point, lat, lon)
        if municipality_index is None:
            municipality = self._municipality_layer.near(point, lat, lon)
        return self._location(lat, lon, wijk, municipality)

    def locate_naive(self, lat: float, lon: float) -> Location:
        """Return the same as locate() by looping over every polygon (reference/benchmark only)."""
        lat, lon = float(lat), float(lon)
        check_lat_lon(lat, lon)
        point = shapely.Point(*BRUSSELS_FRAME.forward(lat, lon))
        wijk = self._wijk_layer.find_naive(point, lat, lon)
        municipality = self._municipality_layer.find_naive(point, lat, lon)
        return self._location(lat, lon, wijk, municipality)

    def locate_many(self, points: Iterable[LatLon]) -> list[Location]:
        """Locate many (lat, lon) points at once (vectorised STRtree queries)."""
        coords = [(float(lat), float(lon)) for lat, lon in points]
        for lat, lon in coords:
            check_lat_lon(lat, lon)
        if not coords:
            return []
        array = np.asarray(coords, dtype=float)
        frame = BRUSSELS_FRAME
        local = shapely.points(
            (array[:, 1] - frame.lon0) * frame.kx, (array[:, 0] - frame.lat0) * frame.ky
        )
        wijk_hits = self._wijk_layer.hits(local)
        muni_hits = self._municipality_layer.hits(local)
        result = []
        for i, (lat, lon) in enumerate(coords):
            w, m = wijk_hits[i], muni_hits[i]
            if w >= 0 and m >= 0:
                result.append(self._location(lat, lon, (w, None), (m, None)))
            else:
                point = local[i : i + 1]
                result.append(
                    self._locate_point(
                        point, lat, lon, w if w >= 0 else None, m if m >= 0 else None
                    )
                )
        return result

    def _location(
        self,
        lat: float,
        lon: float,
        wijk_hit: tuple[int | None, float | None],
        municipality_hit: tuple[int | None, float | None],
    ) -> Location:
        """Build a Location from the layer hits."""
        wijk = self._wijken[wijk_hit[0]] if wijk_hit[0] is not None else None
        muni = (
            self._municipalities[municipality_hit[0]] if municipality_hit[0] is not None else None
        )
        fallbacks = [m for m in (wijk_hit[1], municipality_hit[1]) if m is not None]
        return Location(
            lat=lat,
            lon=lon,
            wijk_code=wijk.code if wijk else None,
            wijk_name_nl=wijk.name_nl if wijk else None,
            wijk_name_fr=wijk.name_fr if wijk else None,
            municipality_nis=muni.nis if muni else None,
            municipality_name_nl=muni.name_nl if muni else None,
            municipality_name_fr=muni.name_fr if muni else None,
            in_brussels=wijk is not None or muni is not None,
            fallback_m=max(fallbacks) if fallbacks else None,
        )


def _as_geometry(value: Any) -> BaseGeometry:
    """Return a geometry given as shapely already (see _read_geojson) or as GeoJSON."""
    return value if isinstance(value, BaseGeometry) else shape(value)


def _geometry_as_shape(obj: dict[str, Any]) -> Any:
    """Turn a GeoJSON geometry object into a shapely geometry as soon as it is parsed."""
    if "coordinates" in obj and "type" in obj:
        return shape(obj)
    return obj


def _read_geojson(raw: bytes) -> dict[str, Any]:
    """Parse a FeatureCollection whose geometries are already shapely geometries.

    Each polygon becomes a shapely geometry as soon as the parser has read it, so its tens of
    thousands of Python floats and lists are freed one polygon at a time and their memory is
    reused for the next one: parsing the whole file first would leave the process about 5 MB
    larger for good (CPython keeps the freed small-object arenas that other objects pin).
    """
    document: dict[str, Any] = json.loads(raw, object_hook=_geometry_as_shape)
    return document


def _label(properties: dict[str, Any]) -> LatLon:
    """Return the feature's label point as (lat, lon)."""
    return float(properties["label_lat"]), float(properties["label_lon"])


def _wijk_from_feature(feature: dict[str, Any]) -> Wijk:
    """Build a Wijk from a GeoJSON feature of the monitoring layer."""
    p = feature["properties"]
    alt = tuple(
        name for name in (p.get("name_nl_urbis"), p.get("name_fr_urbis")) if isinstance(name, str)
    )
    shares = tuple(int(m["nis"]) for m in p.get("municipalities") or ())
    return Wijk(
        code=int(p["mdrc"]),
        name_nl=str(p["name_nl"]),
        name_fr=str(p["name_fr"]),
        kind=str(p["kind"]),
        municipality_nis=int(p["municipality_nis"]),
        area_km2=float(p["area_km2"]),
        label=_label(p),
        geometry=_as_geometry(feature["geometry"]),
        municipalities=shares or (int(p["municipality_nis"]),),
        alt_names=alt,
    )


def _municipality_from_feature(feature: dict[str, Any]) -> Municipality:
    """Build a Municipality from a GeoJSON feature of the municipality layer."""
    p = feature["properties"]
    return Municipality(
        nis=int(p["nis"]),
        name_nl=str(p["name_nl"]),
        name_fr=str(p["name_fr"]),
        area_km2=float(p["area_km2"]),
        label=_label(p),
        geometry=_as_geometry(feature["geometry"]),
    )


_shared: Gazetteer | None = None
_shared_lock = threading.Lock()


def get_gazetteer() -> Gazetteer:
    """Return the process-wide gazetteer, loading the packaged data once on first use."""
    global _shared
    if _shared is None:
        with _shared_lock:
            if _shared is None:
                _shared = Gazetteer.load()
    return _shared


def locate(lat: float, lon: float) -> Location:
    """Return the wijk and municipality holding (lat, lon)."""
    return get_gazetteer().locate(lat, lon)


def wijk(code: int | str) -> Wijk | None:
    """Return the wijk with this mdrc code, or None."""
    return get_gazetteer().wijk(code)


def wijken() -> tuple[Wijk, ...]:
    """Return all 145 wijken sorted by code."""
    return get_gazetteer().wijken()


def municipality(nis: int | str) -> Municipality | None:
    """Return the municipality with this NIS code, or None."""
    return get_gazetteer().municipality(nis)


def municipalities() -> tuple[Municipality, ...]:
    """Return all 19 municipalities sorted by NIS code."""
    return get_gazetteer().municipalities()


def neighbours(codes: Iterable[int]) -> set[int]:
    """Return the codes of wijken touching the given set of wijken, excluding the set."""
    return get_gazetteer().neighbours(codes)


def wijk_name(code: int, language: str) -> str:
    """Return a wijk's name in nl/fr/en; English uses the French display name of the Monitoring."""
    return get_gazetteer().wijk_name(code, language)


def is_valid_wijk(code: int) -> bool:
    """Return whether code is one of the 145 mdrc codes."""
    return get_gazetteer().wijk(code) is not None
