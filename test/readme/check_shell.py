#!/usr/bin/python3
"""Runs the README's shell blocks marked <!-- readme-test: run as shell --> against the
PostgREST harness and checks each answer against the "# " lines that follow its command.

    check_shell.py README.md API_ADDRESS DATABASE

runs in the current directory, with localhost:3000 standing for API_ADDRESS, mydb for DATABASE
and newdb for DATABASE_restored.

A "# " line shows the answer: an HTTP status first when it is not 200, then the JSON
document, where "…" stands for the rest. Checked: the status, and the keys of the document
(of its first element for an array): the same keys, or at least those shown when "…" is
among them. Commands without such lines (assignments) only have to succeed.
"""
import json
import re
import subprocess
import sys

MARK = "<!-- readme-test: run as shell -->\n```sh\n"


def blocks(readme):
    """The marked shell blocks, in order."""
    return re.findall(re.escape(MARK) + r"(.*?)```", readme, re.S)


def steps(block):
    """The block cut into (command, shown answer) pairs; a command spans its continuation lines."""
    pairs, command, shown = [], [], []
    for line in block.splitlines():
        if line.startswith("# "):
            shown.append(line[2:])
            continue
        if shown or (command and not command[-1].endswith("\\") and not line.startswith(" ")):
            pairs.append(("\n".join(command), " ".join(shown)))
            command, shown = [], []
        command.append(line)
    if command:
        pairs.append(("\n".join(command), " ".join(shown)))
    return [(c, s) for c, s in pairs if c.strip()]


def shown_keys(text):
    """Status and top-level keys of a shown answer, read leniently ("…" makes it invalid JSON)."""
    status = 200
    m = re.match(r"(\d{3}) (.*)", text)
    if m:
        status, text = int(m.group(1)), m.group(2)
    depth, keys, in_string, key_depth = 0, [], False, None
    for m in re.finditer(r'"(?:[^"\\]|\\.)*"\s*:|"(?:[^"\\]|\\.)*"|[{}\[\]]', text):
        token = m.group(0)
        if token in "{[":
            depth += 1
            if key_depth is None and token == "{":
                key_depth = depth
        elif token in "}]":
            depth -= 1
        elif token.endswith(":") and depth == key_depth:
            keys.append(json.loads(token[:-1].strip()))
    return status, set(keys), "…" in text


def actual_keys(document):
    """The top-level keys of an answer (of its first element for an array)."""
    if isinstance(document, list):
        document = document[0] if document else {}
    return set(document) if isinstance(document, dict) else set()


def main():
    """Runs every step in one shell, so that assignments carry to later steps."""
    readme, address, database = open(sys.argv[1]).read(), sys.argv[2], sys.argv[3]
    script, checks, commands = ["set -e"], [], 0
    for block in blocks(readme):
        block = block.replace("localhost:3000", address)
        block = re.sub(r"\bnewdb\b", f"{database}_restored", re.sub(r"\bmydb\b", database, block))
        for command, shown in steps(block):
            if shown:
                checks.append((command, shown))
                command = re.sub(r"^curl ", "curl -w '\\n@status %{http_code}\\n' ", command)
                script.append("echo '@begin'")
            script.append(command)
            commands += 1
    if not checks:
        sys.exit("no checked command in the README's shell blocks")
    run = subprocess.run(["bash", "-c", "\n".join(script)], capture_output=True, text=True, timeout=120)
    if run.returncode != 0:
        sys.exit(f"the README's shell block failed:\n{run.stdout}\n{run.stderr}")
    answers = re.findall(r"@begin\n(.*?)\n@status (\d{3})\n", run.stdout, re.S)
    failures = 0
    for (command, shown), (body, status) in zip(checks, answers):
        want_status, want_keys, partial = shown_keys(shown)
        got_keys = actual_keys(json.loads(body)) if body.strip() else set()
        ok = int(status) == want_status and (want_keys <= got_keys if partial else want_keys == got_keys)
        print(f"{'ok' if ok else 'FAILED'}: {command.splitlines()[0][:90]} -> {status} {sorted(got_keys)}")
        if not ok:
            print(f"    shown: {shown}\n    got:   {status} {body.strip()[:300]}")
            failures += 1
    print(f"{len(blocks(readme))} shell blocks, {commands} commands run, {len(checks)} answers checked")
    if len(answers) != len(checks):
        sys.exit(f"{len(checks)} checked commands, {len(answers)} answers")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
