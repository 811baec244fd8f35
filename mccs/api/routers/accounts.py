"""Manage Account: sign-up, sign-in, passwords, the user's own details and entities; health."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import connection
from ninja import Router, Schema, Status
from pydantic import create_model

from mccs.api.auth import member_auth
from mccs.api.entities import (
    ENTITY_API_NAMES,
    SIGNUP_ENTITY_NAMES,
    EntityOut,
    entity_own_out,
    optional_inputs,
)
from mccs.api.entity_extensions import pending_transfers_for
from mccs.api.rendering import iso_utc
from mccs.api.routers.sign_in import LoginIn, add_sign_in_routes
from mccs.api.schemas import BODY, PARAMS, TOKEN, DataOut, errors
from mccs.core.client_ip import client_ip
from mccs.directory.own_entities import entities_for_user, entity_for_user
from mccs.directory.services import entity_update
from mccs.ledger.onboarding import member_sign_up
from mccs.users import services as user_services

router = Router(tags=["Manage Account"])

SIGNUP_USER_FIELDS = {"firstName": "first_name", "lastName": "last_name", "userPhone": "telephone"}
USER_FIELDS = {"firstName": "first_name", "lastName": "last_name", "telephone": "telephone"}
# Model field → sign-up body field, for errors (both telephones are "telephone" in the models; the entity's is
# checked first).
SIGNUP_FIELD_NAMES = {
    **{model: name for name, model in SIGNUP_USER_FIELDS.items()},
    **{model: name for name, model in SIGNUP_ENTITY_NAMES.items()},
}


class SignupFields(Schema):
    userEmail: str
    password: str
    firstName: str | None = None
    lastName: str | None = None
    userPhone: str | None = None


if TYPE_CHECKING:  # a type checker cannot follow a model built from a declaration; it sees a plain schema

    class SignupIn(SignupFields): ...

    class EntityPatchIn(Schema): ...

else:
    SignupIn = create_model("SignupIn", __base__=SignupFields, **optional_inputs(SIGNUP_ENTITY_NAMES))
    EntityPatchIn = create_model("EntityPatchIn", __base__=Schema, **optional_inputs(ENTITY_API_NAMES))


class SignupOut(Schema):
    userID: str
    entityID: str
    token: str


class TokenOut(Schema):
    token: str


class UserOut(Schema):
    id: str
    email: str
    firstName: str
    lastName: str
    telephone: str
    lastLoginIP: str
    lastLoginDate: str | None = None  # null, or left out where the answer leaves out nulls


class UserPatchIn(Schema):
    firstName: str | None = None
    lastName: str | None = None
    telephone: str | None = None


class HealthOut(Schema):
    status: str
    database: str


def mapped_changes(payload: Schema, mapping: dict[str, str]) -> dict[str, object]:
    """The fields the client sent, by the names the services use (API name → model name)."""
    given = payload.model_dump(exclude_unset=True)
    return {mapping[key]: value for key, value in given.items() if key in mapping}


def user_out(user) -> dict:
    return {
        "id": str(user.id),
        "email": user.email,
        "firstName": user.first_name,
        "lastName": user.last_name,
        "telephone": user.telephone,
        "lastLoginIP": user.last_login_ip,
        "lastLoginDate": iso_utc(user.last_login) if user.last_login else None,
    }


@router.get("/health", response={200: HealthOut, 503: HealthOut}, auth=None, tags=["Operations"])
def health(request):
    """200 when the server can reach its database."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        return Status(503, {"status": "unavailable", "database": "unreachable"})
    return Status(200, {"status": "ok", "database": connection.vendor})


@router.post("/signup", response={200: DataOut[SignupOut], **errors(*BODY, 429)}, auth=None)
def signup(request, payload: SignupIn):
    """Create a user and its entity (and the entity's account); returns a bearer token."""
    request.api_field_names = SIGNUP_FIELD_NAMES
    result = member_sign_up(
        email=payload.userEmail,
        password=payload.password,
        user_fields=mapped_changes(payload, SIGNUP_USER_FIELDS),
        entity_fields=mapped_changes(payload, SIGNUP_ENTITY_NAMES),
        ip=client_ip(request),
    )
    return {"data": {"userID": str(result.user.id), "entityID": str(result.entity.id), "token": result.token}}


@router.post("/login", response={200: DataOut[TokenOut], **errors(*BODY, 429)}, auth=None)
def login(request, payload: LoginIn):
    """Sign in; the token expires after 24 hours, on logout, or when the password changes."""
    _, token, _ = user_services.user_login(
        email=payload.email, password=payload.password, ip=client_ip(request)
    )
    return {"data": {"token": token}}


add_sign_in_routes(
    router,
    auth=member_auth,
    admin=False,
    operation_prefix="mccs_api_routers_accounts",
    descriptions={
        "password_reset": "Emails a reset link if the address belongs to a member; answers the same either way.",
        "password_change": "Needs the current password (a stolen token alone cannot take the account over); wrong "
        "ones count towards the\nsign-in throttle (429). Sets the new password, emails the member and revokes every "
        "token of the user,\nincluding the one used here.",
    },
)


@router.get("/user", response={200: DataOut[UserOut], **errors(*TOKEN)}, auth=member_auth)
def user_get(request):
    return {"data": user_out(request.auth)}


@router.patch("/user", response={200: DataOut[UserOut], **errors(*BODY, *TOKEN)}, auth=member_auth)
def user_patch(request, payload: UserPatchIn):
    user = user_services.user_profile_update(user=request.auth, changes=mapped_changes(payload, USER_FIELDS))
    return {"data": user_out(user)}


def own_entity_out(entity) -> dict:
    return entity_own_out(entity, pending_transfers=pending_transfers_for(entity))


@router.get(
    "/user/entities",
    response={200: DataOut[list[EntityOut]], **errors(*TOKEN)},
    auth=member_auth,
    exclude_none=True,
)
def user_entities(request):
    return {
        "data": [own_entity_out(e) for e in entities_for_user(user=request.auth).select_related("account")]
    }


@router.get(
    "/user/entities/{entityID}",
    response={200: DataOut[EntityOut], **errors(*PARAMS, *TOKEN, 404)},
    auth=member_auth,
    exclude_none=True,
)
def user_entity_get(request, entityID: str):
    return {"data": own_entity_out(entity_for_user(user=request.auth, entity_id=entityID))}


@router.patch(
    "/user/entities/{entityID}",
    response={200: DataOut[EntityOut], **errors(*BODY, *TOKEN, 404)},
    auth=member_auth,
    exclude_none=True,
)
def user_entity_patch(request, entityID: str, payload: EntityPatchIn):
    """Change the entity's details; offers and wants replace the stored lists. Status is for administrators."""
    entity = entity_for_user(user=request.auth, entity_id=entityID)
    entity = entity_update(
        actor=request.auth, entity=entity, changes=mapped_changes(payload, ENTITY_API_NAMES)
    )
    return {"data": own_entity_out(entity)}
