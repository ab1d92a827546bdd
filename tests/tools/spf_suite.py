#!/usr/bin/env python3
"""The RFC 7208 SPF test suite (pyspf's YAML, from Debian's python3-spf)
through tern's evaluator: converts the scenarios to JSON the way pyspf's own
harness reads them (an SPF-type record stands in for a missing TXT one,
"NONE" means no record) and runs the spf_suite program on them."""
import gzip
import json
import os
import subprocess
import sys
import tempfile

import yaml

SUITE = "/usr/share/doc/python3-spf/rfc7208-tests.yml.gz"


def records(name, entries):
    out = []
    has_txt = any(isinstance(e, dict) and "TXT" in e for e in entries)
    generated = []
    for entry in entries:
        if not isinstance(entry, dict):  # a bare TIMEOUT
            out.append([name, str(entry), None])
            continue
        for rtype, value in entry.items():
            if rtype in ("TXT", "SPF") and isinstance(value, str):
                value = [value]
            if value == "TIMEOUT":
                value = None
            if rtype == "SPF":
                if not has_txt:
                    generated.append([name, "TXT", value])
                continue
            if value == ["NONE"]:
                continue
            out.append([name, rtype, value])
    return out + generated


def main():
    runner = sys.argv[1]
    scenarios = []
    with gzip.open(SUITE, "rt", encoding="utf-8") as f:
        for doc in yaml.safe_load_all(f):
            zone = []
            for name, entries in doc["zonedata"].items():
                zone.extend(records(name, entries))
            tests = {}
            for tid, t in doc["tests"].items():
                result = t["result"] if isinstance(t["result"], list) else [t["result"]]
                case = {"host": t["host"], "mailfrom": t["mailfrom"], "helo": t["helo"], "result": result}
                if "explanation" in t:
                    case["explanation"] = t["explanation"]
                tests[tid] = case
            scenarios.append({"zone": zone, "tests": tests})
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(scenarios, f)
        path = f.name
    try:
        return subprocess.run([runner, path]).returncode
    finally:
        os.unlink(path)


if __name__ == "__main__":
    sys.exit(main())
