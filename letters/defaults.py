"""Version 1 of each letter template (loaded by a migration). Administrators add new versions."""

DEFAULT_TEMPLATES = {
    "at_risk": ("At risk of suspension of placements: {{ provider_name }}", """Dear {{ registered_manager }},

Service: {{ provider_name }}, {{ provider_address }} (CQC location {{ cqc_location_id }})

I am writing to inform you that the council's Strategic Provider Risk Group has agreed that the service is 'at risk' of suspension of placements (Route 1). The council has the following concerns:

{{ free_text }}

An improvement plan must be co-produced with the Contracts and Quality Team within 5 working days of your receipt of this letter. The team will stay in regular contact with you during this period. Progress will be reported to the Strategic Provider Risk Group, which will decide within 4 weeks whether the plan has been complied with. If it has not, the council may suspend new placements.

Please contact the Contracts and Quality Team as soon as possible to arrange the co-production of the plan."""),
    "lifting_at_risk": ("Lifting of 'at risk of suspension': {{ provider_name }}", """Dear {{ registered_manager }},

I am pleased to confirm that the Strategic Provider Risk Group is satisfied that the improvement plan for {{ provider_name }} has been complied with in full. The 'at risk of suspension' status is lifted with effect from {{ letter_date }}.

The service returns to the routine contract monitoring regime, with greater initial oversight until {{ oversight_until }}.

{{ free_text }}"""),
    "suspension": ("Suspension of placements: {{ provider_name }}", """Dear {{ registered_manager }},

I am writing to inform you that the council has suspended new placements at {{ provider_name }} (CQC location {{ cqc_location_id }}) with immediate effect, following consideration by the Directorate Management Team and sign-off by the Director of Adult Social Services.

{{ free_text }}

The improvement plan and its timescales are set out below. The council will continue to work with you, and the Contracts and Quality Team will visit regularly. Progress will be considered monthly by the Strategic Provider Risk Group.

{{ improvement_plan }}

The suspension will be reviewed when you have demonstrated sustainable progress in every area of the plan."""),
    "lifting_suspension": ("Lifting of the suspension of placements: {{ provider_name }}", """Dear {{ registered_manager }},

I am writing to confirm that the suspension of placements at {{ provider_name }} is lifted with effect from {{ letter_date }}, following the recommendation of the Strategic Provider Risk Group, consideration by the Directorate Management Team and sign-off by the Director of Adult Social Services.

{{ free_text }}

The lifting is subject to the following conditions, which will be reviewed on the dates shown:

{{ conditions }}

The service returns to routine contract monitoring, with greater initial oversight until {{ oversight_until }}."""),
    "qa_invitation": ("Invitation to a quality assurance meeting: {{ provider_name }}", """Dear {{ registered_manager }},

The council would like to meet you to discuss concerns about the quality of the service at {{ provider_name }}. I would be grateful if you could attend a quality assurance meeting on {{ meeting_date }}.

{{ free_text }}

Please confirm who will attend on behalf of the provider."""),
    "ppm_invitation": ("Invitation to a provider performance meeting: {{ provider_name }}", """Dear {{ registered_manager }},

As the concerns raised at the quality assurance meeting have not been resolved, the council invites you to a provider performance meeting on {{ meeting_date }}, where a Developmental or Corrective Action Plan will be agreed.

{{ free_text }}

Please confirm who will attend on behalf of the provider."""),
    "notification": ("Notification of suspension of placements: {{ provider_name }}", """Dear colleague,

This is to notify you that the council has suspended new placements at {{ provider_name }}, {{ provider_address }} (CQC location {{ cqc_location_id }}), case {{ case_reference }}.

{{ free_text }}"""),
    "appeal_outcome": ("Outcome of your appeal against the suspension of placements: {{ provider_name }}",
                       """Dear {{ registered_manager }},

Case reference: {{ case_reference }}

On {{ appeal_lodged_on }} you appealed against the council's decision to suspend new placements at {{ provider_name }} (CQC location {{ cqc_location_id }}). Your appeal was considered by a senior officer of the council who took no part in the decision to suspend, and was decided on {{ appeal_decided_on }}.

**Outcome: {{ appeal_outcome }}**

The reasons for the decision are:

{{ appeal_reasons }}

If the appeal is allowed, the council will now consider lifting the suspension through its usual lifting procedure, and will write to you again with the result. If the decision is upheld, the suspension stays in force and the council will continue to review your progress against the improvement plan every month."""),
}


def create_default_templates(model):
    for kind, (subject, body) in DEFAULT_TEMPLATES.items():
        if not model.objects.filter(kind=kind).exists():
            model.objects.create(kind=kind, version=1, subject=subject, body=body, note="Standard template")
