"""Risk assessment criteria, word for word from the council's risk assessment criteria (docs/process.md section 2)."""

ENGAGEMENT = {
    0: [
        "Provider has been notified of concerns and evidence has been provided that no action needs to be taken",
        "Provider has addressed concerns and no further action is required",
        "No further problems have arisen since notification",
    ],
    1: ["Provider has been notified of concerns and is taking action"],
    2: [
        "Provider has been notified of concerns and is taking action but concerns exist about "
        "providers capacity to achieve timely change",
        "Further assurance and improvement are required",
    ],
    3: [
        "Provider has been notified of concerns but problems persist",
        "Provider is not being open, transparent or engaging with the process",
        "Provider is minimising/ denying need to address concerns",
        "Immediate assurance and improvements are required",
    ],
    4: [
        "Provider has been notified of concerns but has not responded",
        "Provider is unable to demonstrate and/ or sustain assurance and improvements",
    ],
}

IMPACT = {
    0: [
        "Overall the service is not materially affected",
        "Quality of life is not affected",
        "Individuals are not at risk of harm",
        "Provider can maintain quality of care",
    ],
    1: [
        "Some aspects of the service are compromised",
        "Quality of life is not significantly affected",
        "Individuals are not at risk of harm",
        "Single Agency response is required",
        "Provider can maintain quality of care with support from contract management",
    ],
    2: [
        "The service is compromised",
        "The quality of life of some individuals may be affected",
        "Individuals may be at risk of harm",
        "Multi Agency response is required with support from contract management (enhanced contract management)",
    ],
    3: [
        "The service is compromised to a significant extent",
        "Quality of life is affected",
        "Individuals are at risk of harm",
        "Multi Agency support and monitoring is required (which could include multi-agency involvement "
        "and oversight)",
    ],
    4: [
        "The service is severely affected and maybe unable to meet a large proportion of its obligations "
        "and liabilities",
        "Quality of life is significantly affected",
        "Individuals are at risk of significant harm",
        "Intensive Multi Agency involvement and oversight is required",
    ],
    5: [
        "Operational performance of the provider would be compromised to the extent it would not be able "
        "to meet core obligations and liabilities.",
        "Major adverse repercussions for individuals making care unsustainable or unsafe",
        "Provider is unable to recover or continue to be viable",
        "A Service Operations Support Group is required",
    ],
}
