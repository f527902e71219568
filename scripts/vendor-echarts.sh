#!/usr/bin/env bash
# Vendors the ECharts build report.html embeds (reports/echarts_script.py names the version and
# file): packs the npm package (npm checks its integrity), copies the script with its LICENSE,
# NOTICE and the licences those name into reports/vendor/echarts/, and prints the sha256 to put
# in ECHARTS_SHA256.
set -euo pipefail
cd "$(dirname "$0")/.."
module=reports/echarts_script.py
version=$(sed -n 's/^ECHARTS_VERSION = "\(.*\)"$/\1/p' "$module")
file=$(sed -n 's/^ECHARTS_FILE = "\(.*\)"$/\1/p' "$module")
dest=reports/vendor/echarts
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "echarts@$version" >/dev/null && tar xzf "echarts-$version.tgz")
rm -rf "$dest" && mkdir -p "$dest/licenses"
cp "$tmp/package/dist/$file" "$tmp/package/LICENSE" "$tmp/package/NOTICE" "$dest/"
cp "$tmp/package/licenses/"* "$dest/licenses/"
echo "echarts $version: $dest/$file"
echo "ECHARTS_SHA256 = \"$(sha256sum "$dest/$file" | cut -d' ' -f1)\""
