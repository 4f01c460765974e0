"""Refuse to deploy a configuration.json that is not a JSON object of strings or still holds a
placeholder such as <YOUR_API_KEY>. Exit 1 with one line per problem, naming the key; values
are never printed (they may be secrets)."""

import json
import re
import sys

PLACEHOLDER = re.compile(r"^<[^>]+>$")


def problems(configuration) -> list[str]:
    if not isinstance(configuration, dict):
        return ["configuration must be a JSON object"]
    found = []
    for key, value in configuration.items():
        if not isinstance(value, str):
            found.append(f"{key} must be a string (Fivetran passes every value as a string)")
        elif PLACEHOLDER.match(value.strip()):
            found.append(f"{key} is still a placeholder; set a real value")
    return found


if __name__ == "__main__":
    path = sys.argv[1]
    try:
        with open(path) as f:
            found = problems(json.load(f))
    except (OSError, ValueError) as error:
        found = [f"cannot read {path}: {error}"]
    for problem in found:
        print(f"configuration {path}: {problem}", file=sys.stderr)
    sys.exit(1 if found else 0)
