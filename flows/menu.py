"""The main menu: a role's four to six actions as big buttons that stay under the typing field.

| who                          | buttons                                          |
|------------------------------|--------------------------------------------------|
| resident                     | missing, diary / undo, help                      |
| volunteer                    | walk / encounter, missing / diary, help          |
| staff                        | walk / encounter, key person / missing, help     |
| coordinator                  | walk, encounter / missing, weekly picture /      |
|                              | invite, help                                     |
| anyone walking (not resident)| end walk / encounter, missing                    |

A tap sends the button's label as text; the dispatcher reads a label of the member's menus (in
any language, bot/dispatch/typed.py) as the command, so it is never kept as a note. The router
decides when the menu is sent (flows/router.py:with_menu).
"""

from __future__ import annotations

from collections.abc import Iterable

from flows.commands import COMMANDS_BY_NAME
from flows.engine import Effect, Menu, MenuKey, Reply
from flows.roles import COORDINATOR, RESIDENT, STAFF, VOLUNTEER

WALK = MenuKey("menu.walk", "walk")
END_WALK = MenuKey("menu.endwalk", "endwalk")
ENCOUNTER = MenuKey("menu.encounter", "encounter")
KEYPERSON = MenuKey("menu.keyperson", "keyperson")
MISSING = MenuKey("menu.missing", "missing")
DIARY = MenuKey("menu.diary", "diary")
UNDO = MenuKey("menu.undo", "undo")
HELP = MenuKey("menu.help", "help")
DIGEST = MenuKey("menu.digest", "digest")
INVITE = MenuKey("menu.invite", "invite")

MENUS: dict[str, Menu] = {
    RESIDENT: ((MISSING, DIARY), (UNDO, HELP)),
    VOLUNTEER: ((WALK,), (ENCOUNTER, MISSING), (DIARY, HELP)),
    STAFF: ((WALK,), (ENCOUNTER, KEYPERSON), (MISSING, HELP)),
    COORDINATOR: ((WALK, ENCOUNTER), (MISSING, DIGEST), (INVITE, HELP)),
}
WALKING: Menu = ((END_WALK,), (ENCOUNTER, MISSING))

# What accompanies the menu when no other message of the step can carry it.
MENU_HINT = "menu.here"
WALKING_HINT = "menu.walking"


def menu_for(role: str, walking: bool = False) -> Menu:
    """Return the menu a member of a role sees; walkers see end walk and missing thing."""
    if walking and COMMANDS_BY_NAME["endwalk"].allowed(role):
        return WALKING
    return MENUS.get(role, ())


def menu_keys(role: str) -> tuple[MenuKey, ...]:
    """Return every button a role's menus hold (walking or not): what a typed label may mean."""
    keys = [key for menu in (menu_for(role), menu_for(role, True)) for row in menu for key in row]
    return tuple(dict.fromkeys(keys))


def _carries(effect: Effect) -> bool:
    """Say whether a message can take the menu: no buttons or keyboard of its own, no edit."""
    return (
        isinstance(effect, Reply)
        and not effect.buttons
        and not effect.request_location
        and not effect.keyboard
        and not effect.edit
    )


def show_menu(
    effects: Iterable[Effect], menu: Menu, needed: bool, hint: str = MENU_HINT
) -> tuple[Effect, ...]:
    """Put the menu on the step's messages: where a keyboard is removed, and on the last one
    that can carry it; when `needed` and none can, on a short line of its own."""
    effects = [
        Reply(**{**effect.__dict__, "menu": menu, "remove_keyboard": False})
        if isinstance(effect, Reply) and effect.remove_keyboard
        else effect
        for effect in effects
    ]
    carriers = [index for index, effect in enumerate(effects) if _carries(effect)]
    if carriers:
        last = effects[carriers[-1]]
        assert isinstance(last, Reply)
        effects[carriers[-1]] = Reply(**{**last.__dict__, "menu": menu})
    elif needed:
        effects.append(Reply(hint, menu=menu))
    return tuple(effects)
