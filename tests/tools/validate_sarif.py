#!/usr/bin/python3
"""validate_sarif.py SCHEMA FILE...: exit 0 if every FILE is valid SARIF.

Schema validation (Debian's python3-jsonschema, Draft 7, with format
checking) plus what a schema cannot say: every result's ruleIndex names the
rule with its ruleId, and every artifactLocation.index names an artifact
with the same uri.
"""
import json
import sys

import jsonschema


def cross_reference_errors(log):
    errors = []
    for run_number, run in enumerate(log["runs"]):
        rules = run["tool"]["driver"].get("rules", [])
        artifacts = run.get("artifacts", [])
        for number, result in enumerate(run["results"]):
            where = f"runs[{run_number}].results[{number}]"
            index = result.get("ruleIndex")
            if index is not None and (index >= len(rules) or rules[index]["id"] != result["ruleId"]):
                errors.append(f"{where}: ruleIndex {index} does not name rule {result['ruleId']}")
            for location in result["locations"]:
                artifact = location["physicalLocation"]["artifactLocation"]
                index = artifact.get("index")
                if index is not None and (
                        index >= len(artifacts) or artifacts[index]["location"]["uri"] != artifact["uri"]):
                    errors.append(f"{where}: artifact index {index} does not name {artifact['uri']}")
    return errors


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        schema = json.load(f)
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
    status = 0
    for path in argv[2:]:
        with open(path, encoding="utf-8") as f:
            log = json.load(f)
        errors = [f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}"
                  for e in validator.iter_errors(log)]
        if not errors:
            errors = cross_reference_errors(log)
        for error in errors:
            print(f"{path}: {error}", file=sys.stderr)
        if errors:
            status = 1
        else:
            print(f"{path} validates")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
