#!/usr/bin/env python3
"""A standard SCIM client against accountd: the `scim2-client` package (with `scim2-models`), written by others,
discovers the server, then creates, reads, filters, pages, patches, replaces, deactivates and deletes users, and
manages a group's members, validating every answer against the RFC models. Run by the HTTP test
`scim::a_standard_scim_client_drives_the_dialect` on both backends:

    python3 tests/scim/standard_client.py <base URL> <access key>.<secret>

Exits non-zero, naming the step, on the first answer that is wrong.
"""

import sys

import httpx2
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_models import Error, ListResponse, PatchOp, PatchOperation, SearchRequest


def check(condition, step, detail=""):
    if not condition:
        sys.exit(f"standard client: {step} failed {detail}")


def main():
    base, bearer = sys.argv[1], sys.argv[2]
    http = httpx2.Client(base_url=f"{base}/scim/v2", headers={"Authorization": f"Bearer {bearer}"})
    scim = SyncSCIMClient(http)

    # discovery builds the resource models from /Schemas and /ResourceTypes
    scim.discover()
    config = scim.provider.config
    check(config.patch.supported and config.filter.supported and not config.bulk.supported, "discovery", config)
    User = scim.get_resource_model("User")
    check(User is not None, "the User model")

    # create, with the enterprise extension
    created = scim.create(
        User(
            user_name="std.client",
            display_name="Std Client",
            emails=[User.Emails(value="std.client@example.com", type="work", primary=True)],
            active=True,
            password="Std-client-pass-1",
            external_id="std-1",
        )
    )
    check(not isinstance(created, Error), "create", created)
    check(created.user_name == "std.client" and created.meta.version, "create's answer", created)

    # a second create with the same userName is a uniqueness error
    clash = scim.create(User(user_name="std.client"), raise_scim_errors=False)
    check(isinstance(clash, Error) and clash.scim_type == "uniqueness" and clash.status == 409, "uniqueness", clash)

    for n in range(3):
        scim.create(User(user_name=f"std.page{n}", emails=[User.Emails(value=f"page{n}@example.com")]))

    # read back
    read = scim.query(User, created.id)
    check(read.id == created.id and read.emails[0].value == "std.client@example.com", "get", read)

    # filter and page
    found = scim.query(User, query_parameters=SearchRequest(filter='userName sw "std.page"', count=2, start_index=1, sort_by="userName"))
    check(isinstance(found, ListResponse), "filter", found)
    check(found.total_results == 3 and len(found.resources) == 2, "page one", found)
    check([u.user_name for u in found.resources] == ["std.page0", "std.page1"], "sort", found)
    rest = scim.query(User, query_parameters=SearchRequest(filter='userName sw "std.page"', count=2, start_index=3, sort_by="userName"))
    check([u.user_name for u in rest.resources] == ["std.page2"], "page two", rest)

    # patch: rename and deactivate
    patch = PatchOp[User](
        operations=[
            PatchOperation(op=PatchOperation.Op.replace_, path="displayName", value="Std Renamed"),
            PatchOperation(op=PatchOperation.Op.replace_, path="active", value=False),
        ]
    )
    patched = scim.modify(User, created.id, patch)
    check(patched is None or (patched.display_name == "Std Renamed" and patched.active is False), "patch", patched)
    after = scim.query(User, created.id)
    check(after.display_name == "Std Renamed" and after.active is False, "deactivation", after)
    inactive = scim.query(User, query_parameters=SearchRequest(filter="active eq false"))
    check([u.id for u in inactive.resources] == [created.id], "filter on active", inactive)

    # replace (PUT): reactivate and change the email
    after.active = True
    after.emails = [User.Emails(value="std.renamed@example.com", type="work", primary=True)]
    replaced = scim.replace(after)
    check(replaced.active is True and replaced.emails[0].value == "std.renamed@example.com", "replace", replaced)

    # delete; then the user is gone
    check(scim.delete(User, created.id) is None, "delete")
    gone = scim.query(User, created.id, raise_scim_errors=False)
    check(isinstance(gone, Error) and gone.status == 404, "read after delete", gone)

    # groups: a workspace with members, found by name, members removed and added by PATCH, deleted
    Group = scim.get_resource_model("Group")
    member = scim.create(User(user_name="std.member", emails=[User.Emails(value="std.member@example.com")]))
    team = scim.create(Group(display_name="Std Team", members=[Group.Members(value=member.id)]))
    check(not isinstance(team, Error) and [m.value for m in team.members] == [member.id], "group create", team)
    found = scim.query(Group, query_parameters=SearchRequest(filter='displayName eq "Std Team"'))
    check(found.total_results == 1 and found.resources[0].id == team.id, "group filter", found)
    remove = PatchOp[Group](
        operations=[PatchOperation(op=PatchOperation.Op.remove, path=f'members[value eq "{member.id}"]')]
    )
    scim.modify(Group, team.id, remove)
    check(not scim.query(Group, team.id).members, "group member removed")
    add = PatchOp[Group](
        operations=[PatchOperation(op=PatchOperation.Op.add, path="members", value=[{"value": member.id}])]
    )
    scim.modify(Group, team.id, add)
    check([m.value for m in scim.query(Group, team.id).members] == [member.id], "group member added")
    check(scim.delete(Group, team.id) is None, "group delete")

    print(
        "standard client: discover, create, uniqueness, get, filter, page, sort, patch, deactivate, replace, delete, "
        "groups and members: ok"
    )


if __name__ == "__main__":
    main()
