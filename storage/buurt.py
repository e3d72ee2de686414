"""An organisation's buurt: the monitoring wijken it agreed on (organisation_wijken)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import OrganisationWijk


def list_wijken(session: Session, organisation_id: int) -> list[int]:
    """Return the wijk codes of an organisation's buurt, in code order."""
    return list(
        session.scalars(
            select(OrganisationWijk.wijk_code)
            .where(OrganisationWijk.organisation_id == organisation_id)
            .order_by(OrganisationWijk.wijk_code)
        )
    )


def add_wijk(session: Session, organisation_id: int, wijk_code: int) -> bool:
    """Add a wijk to the buurt; return False when it was already part of it."""
    if session.get(OrganisationWijk, (organisation_id, wijk_code)) is not None:
        return False
    session.add(OrganisationWijk(organisation_id=organisation_id, wijk_code=wijk_code))
    session.flush()
    return True


def remove_wijk(session: Session, organisation_id: int, wijk_code: int) -> bool:
    """Take a wijk out of the buurt; return False when it was not part of it."""
    row = session.get(OrganisationWijk, (organisation_id, wijk_code))
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True
