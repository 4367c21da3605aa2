"""The schemathesis configuration of the API fuzzer's runs, and its budget.

Budget: ``APIS_FUZZ_EXAMPLES`` random requests per operation and role. Unset, the run is the bounded one of
``make test`` (``BOUNDED_EXAMPLES``, valid input only, derandomized: the same requests on every run, so that
the suite is reproducible; invalid input comes from the boundary run). Set, as ``make fuzz`` does, the
requests are new on every run, valid and invalid; a failure prints the seed, which ``APIS_FUZZ_SEED`` replays.
"""

import os
import secrets
from pathlib import Path

import schemathesis

from tests.fuzz.world import INGEST_TOKEN, REFRESH_TOKEN
from tests.payloads import CLUSTER, COMMUNITY

BOUNDED_EXAMPLES = 8
BOUNDED = "APIS_FUZZ_EXAMPLES" not in os.environ
EXAMPLES = BOUNDED_EXAMPLES if BOUNDED else int(os.environ["APIS_FUZZ_EXAMPLES"])
# The seed of a longer run (the bounded run is derandomized instead): given, or drawn and shown at the end.
SEED = None if BOUNDED else int(os.environ.get("APIS_FUZZ_SEED") or secrets.randbelow(2**32))
# Where a longer run keeps the examples that failed, to try them first on the next run.
EXAMPLE_DATABASE = Path(os.environ.get("APIS_VAR_DIR", "var")) / "fuzz-examples"

# Values the generator puts in place of what it makes up, so that most requests name the demo cluster, a unit,
# the login of e001, a period with data or the ingest token, and get past the registry and credential checks
# to the views (the other requests, and the boundary cases, carry the invalid values). name: (values, chance);
# a lower chance for the optional ESS parameters that exclude each other (``date`` and ``start-time``).
LIKELY, SOMETIMES = 0.85, 0.3
VALUES: dict[str, tuple[list, float]] = {
    "communityId": ([COMMUNITY], LIKELY),
    "clusterId": ([CLUSTER], LIKELY),
    "unitId": (["E001", "E002"], LIKELY),
    "username": (["e001"], LIKELY),
    "password": (["e001"], LIKELY),
    "datetimeFrom": (["2020-01-01T00:00:00Z", "2020-01-01", "2020-01-01T06:00:00+09:00"], LIKELY),
    "datetimeTo": (["2020-01-02T00:00:00Z", "2020-01-02", "2021-01-01T00:00:00"], LIKELY),
    "timezone": (["+09:00", "Z", "-03:30"], LIKELY),
    "scenarioId": (["1", "4", "5", ""], LIKELY),
    "name": (["FUZZ", "NORMAL"], 0.5),
    "data": (['{"refreshingPeriodMsec": 5000}', "{}"], LIKELY),
    "token": ([INGEST_TOKEN], LIKELY),
    "refresh": ([REFRESH_TOKEN], LIKELY),
    "operating_site_id": (["1", "2"], LIKELY),
    "bank_id": (["1", "2"], LIKELY),
    "rack_id": (["1", "2"], LIKELY),
    "data_type": (["bank", "rack", "pcs", "etc"], LIKELY),
    "fields": (["timestamp", "bank_soc", "rack_soc,rack_id"], SOMETIMES),
    "date": (["2022-09-01"], 0.15),
    "start-time": (["2022-09-01T00:00:00", "2022-09-01T06:00:00+09:00"], 0.4),
    "end-time": (["2022-09-01T12:00:00", "2022-09-02T00:00:00+09:00"], 0.4),
    "cursor": ([""], SOMETIMES),
}
# The same values in the JSON arrays of the ingest reports.
REPORT_VALUES = {
    "body.[*].oesunit.communityId": "communityId",
    "body.[*].oesunit.clusterId": "clusterId",
    "body.[*].oesunit.id": "unitId",
    "body.[*].communityId": "communityId",
    "body.[*].clusterId": "clusterId",
}


def fuzz_config(run: str) -> schemathesis.Config:
    """The schemathesis configuration of a run: ``every-role`` (random requests, the budget) or ``boundaries``
    (the schema's examples, then the coverage cases)."""
    parameters = {}
    for name, (_values, chance) in VALUES.items():
        # The bare name binds query, path and header parameters; ``body.`` the fields of a form or JSON body.
        for where in (name, f"body.{name}"):
            parameters[where] = {"dictionary": name, "probability": chance}
    for where, name in REPORT_VALUES.items():
        parameters[where] = {"dictionary": name, "probability": LIKELY}
    every_role = run == "every-role"
    generation = {
        "mode": "positive" if every_role and BOUNDED else "all",
        "max-examples": EXAMPLES,
        "with-security-parameters": False,  # the callers send the credentials of their role
    }
    if BOUNDED:
        generation.update(deterministic=True, database="none")
    else:
        generation["database"] = str(EXAMPLE_DATABASE)
    data = {
        "generation": generation,
        "dictionaries": {name: {"values": values} for name, (values, _chance) in VALUES.items()},
        "parameters": parameters,
        "phases": {
            "examples": {"enabled": not every_role},
            "coverage": {"enabled": not every_role},
            "fuzzing": {"enabled": every_role},
            "stateful": {"enabled": False},
        },
    }
    if SEED is not None:
        data["seed"] = SEED
    return schemathesis.Config.from_dict(data)


def describe_run() -> str:
    """One line for the end of the test session: the budget, and the seed that replays a longer run."""
    if BOUNDED:
        return f"API fuzzer: bounded run, {EXAMPLES} derandomized requests per operation and role"
    return f"API fuzzer: {EXAMPLES} requests per operation and role, APIS_FUZZ_SEED={SEED} replays this run"
