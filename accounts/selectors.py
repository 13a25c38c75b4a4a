"""Queries for pages about the signed-in person."""


def shown_notifications(user, notifications) -> list:
    """Set `shown_message` on each notification: its message, unless it is about a case this person is not
    cleared for now (the case may have become safeguarding-restricted after it was sent, and the message can
    quote the case), in which case only that there was an update on the case."""
    from escalation.permissions import can_read_case

    cleared = {}
    notifications = list(notifications)
    for note in notifications:
        if note.case_id is None:
            note.shown_message = note.message
            continue
        if note.case_id not in cleared:
            cleared[note.case_id] = can_read_case(user, note.case)
        note.shown_message = note.message if cleared[note.case_id] else \
            f"Update on restricted case {note.case.reference}"
    return notifications
