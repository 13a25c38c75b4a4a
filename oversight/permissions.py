"""Who may build meeting packs, read the board reports and export a case's whole record (core.rules)."""

from accounts.permissions import has_a_role, is_auditor, is_cqm, is_dass, is_dmt_member, is_sprg_member
from core.rules import permission, when
from escalation.permissions import can_read_case


@when("they asked for it", refusal="Only the person who asked for this pack can open it")
def asked_for_it(user, job) -> bool:
    return job is not None and job.requested_by_id == user.pk


can_build_sprg_pack = permission("Build the SPRG monthly pack", is_sprg_member | is_cqm | is_dass)
can_build_dmt_pack = permission("Build a DMT pack", is_dmt_member | is_cqm | is_dass)
can_open_pack = permission("Open a meeting pack", has_a_role & asked_for_it)
can_read_board_reports = permission("Read the board reports (counts only)", has_a_role)
can_export_case_record = permission("Export a case's whole record (chronology, letters, evidence)",
                                    (is_cqm | is_dass | is_auditor) & can_read_case)

BUILDERS = {"sprg": can_build_sprg_pack, "dmt": can_build_dmt_pack}


def may_build(user, kind: str) -> bool:
    return BUILDERS[kind](user)


def pack_kinds_for(user) -> list[str]:
    return [kind for kind, rule in BUILDERS.items() if rule(user)]
