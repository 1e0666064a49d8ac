#!/usr/bin/env bash
# Every relative link in README.md and docs/**/*.md resolves: the file exists and, for a link
# with #anchor, the target has a heading with that GitHub anchor (lower case, punctuation
# other than - and _ dropped, spaces to -, a -N suffix for repeats). And every command of
# `qbdb help` has a row in docs/cli/README.md.
ROOT=$(cd "$(dirname "$0")/../.." && pwd) # before lib.bash changes to the scratch folder
source "$(dirname "$0")/lib.bash"
set +e
report=$(python3 - "$ROOT" <<'PY'
import os, re, sys
root = sys.argv[1]
files = [os.path.join(root, "README.md")]
for d, _, names in os.walk(os.path.join(root, "docs")):
    files += [os.path.join(d, n) for n in names if n.endswith(".md")]
def anchors(path):
    seen, out, fence = {}, set(), False
    for line in open(path, encoding="utf-8"):
        if line.startswith("```"):
            fence = not fence
        if fence or not line.startswith("#"):
            continue
        text = line.lstrip("#").strip()
        slug = re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        out.add(slug if n == 0 else "%s-%d" % (slug, n))
    return out
bad = checked = 0
link = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
for f in sorted(files):
    fence = False
    for no, line in enumerate(open(f, encoding="utf-8"), 1):
        if line.startswith("```"):
            fence = not fence
        if fence:
            continue
        for target in link.findall(line):
            if re.match(r"^[a-z]+:", target):
                continue  # http:, https:, mailto:
            path, _, frag = target.partition("#")
            dest = os.path.normpath(os.path.join(os.path.dirname(f), path)) if path else f
            checked += 1
            rel = os.path.relpath(f, root)
            if not os.path.exists(dest):
                print("%s:%d: %s: no such file" % (rel, no, target)); bad += 1
            elif frag and dest.endswith(".md") and frag not in anchors(dest):
                print("%s:%d: %s: no heading with that anchor" % (rel, no, target)); bad += 1
print("checked %d links in %d files, %d broken" % (checked, len(files), bad))
sys.exit(1 if bad else 0)
PY
)
rc=$?
set -e
echo "$report"
[ "$rc" -eq 0 ] || fail "broken documentation links"

# every command `qbdb help` lists has its row in docs/cli/README.md's table
run 0 "$QBDB" help
cmds=$(sed -n '/^commands:/,/^$/p' <<<"$OUT" | awk 'NF > 1 { print $1 }')
[ "$(wc -w <<<"$cmds")" -ge 20 ] || fail "qbdb help lists too few commands: $cmds"
for c in $cmds; do
  grep -q "^| \`$c\` |" "$ROOT/docs/cli/README.md" || fail "docs/cli/README.md: no row for \`$c\`"
done
finish
