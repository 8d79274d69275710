"""`make audit`: pip-audit over both environments, with a reasoned allowlist.

A separate target, not part of `make test`: advisories are published without any change to
the code, so the audit is a question asked of today's advisory data, not a test of the code.

    .venv-api/bin/python tools/audit.py        (run from the repository root)

Each environment's installed packages are audited (pip-audit --path: what is really
installed, including what pins pulled in). An advisory is accepted only when
tools/audit-allowlist.txt names it (by id or alias) for that exact package version. Exit 0:
nothing but accepted advisories; 1: an advisory to act on; 2: the audit could not be made
(the advisory service did not answer for most packages: no answer is not a clean bill).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ALLOWLIST = ROOT / "tools" / "audit-allowlist.txt"
ENVIRONMENTS = {"gateway (.venv-api)": ROOT / ".venv-api", "bot (.venv-bot)": ROOT / ".venv-bot"}
PIP_AUDIT = ROOT / ".venv-api" / "bin" / "pip-audit"


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class Entry:
    advisory: str
    package: str
    version: str
    line: int


def load_allowlist(path: Path = ALLOWLIST) -> list[Entry]:
    entries = []
    for n, raw in enumerate(path.read_text().splitlines(), 1):
        text = raw.split("#", 1)[0].strip()
        if not text:
            continue
        advisory, pin = text.split()
        package, version = pin.split("==")
        entries.append(Entry(advisory.upper(), norm(package), version, n))
    return entries


def site_packages(venv: Path) -> Path:
    found = sorted(venv.glob("lib/python3*/site-packages"))
    if not found:
        raise SystemExit(f"{venv} is not installed: make install")
    return found[-1]


def audit(venv: Path) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "audit.json"
        proc = subprocess.run([str(PIP_AUDIT), "--path", str(site_packages(venv)), "--format", "json",
                               "--output", str(out), "--progress-spinner", "off"],
                              capture_output=True, text=True)
        if not out.exists():
            raise SystemExit(f"pip-audit failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
        return json.loads(out.read_text())


def main() -> int:
    allow = load_allowlist()
    used: set[Entry] = set()
    worst = 0
    for label, venv in ENVIRONMENTS.items():
        report = audit(venv)
        deps = report.get("dependencies", [])
        skipped = [d for d in deps if d.get("skip_reason")]
        audited = len(deps) - len(skipped)
        open_, accepted = [], []
        for dep in deps:
            for vuln in dep.get("vulns", []):
                ids = {vuln["id"].upper(), *(a.upper() for a in vuln.get("aliases", []))}
                match = next((e for e in allow if e.advisory in ids and e.package == norm(dep["name"])
                              and e.version == dep["version"]), None)
                row = (dep["name"], dep["version"], vuln["id"], ", ".join(vuln.get("fix_versions", [])) or "none")
                if match:
                    used.add(match)
                    accepted.append(row)
                else:
                    open_.append(row)
        print(f"{label}: {len(deps)} packages, {audited} audited, {len(skipped)} not audited, "
              f"{len(open_)} advisories to act on, {len(accepted)} accepted (allowlist)")
        for name, version, vid, fix in open_:
            print(f"  ACT  {name}=={version}  {vid}  (fixed in: {fix})")
        for name, version, vid, _fix in accepted:
            print(f"  ok   {name}=={version}  {vid}  (allowlisted)")
        if skipped:
            print(f"  not audited: {', '.join(d['name'] for d in skipped[:12])}"
                  f"{' ...' if len(skipped) > 12 else ''} ({skipped[0]['skip_reason']})")
        if open_:
            worst = max(worst, 1)
        if deps and len(skipped) * 2 > len(deps):
            print(f"  the advisory service answered for {audited} of {len(deps)} packages: "
                  "no audit was made (network? PyPI's JSON API unreachable?)")
            worst = 2
    if worst < 2:
        for entry in allow:
            if entry not in used:
                print(f"stale allowlist entry (line {entry.line}): {entry.advisory} {entry.package}=={entry.version} "
                      "matched nothing: remove it")
    print({0: "audit: clean (accepted advisories only)", 1: "audit: advisories to act on",
           2: "audit: could not be made"}[worst])
    return worst


if __name__ == "__main__":
    sys.exit(main())
