#!/usr/bin/env bash
# The desktop entry and the AppStream metainfo that the install puts into share/applications and
# share/metainfo: valid for the desktop's own tools (warnings count as failures), their ids agree.
set -euo pipefail
res=${1:?resources dir}
id=org.flashvsrstudio.FlashVSRStudio
desktop=$res/$id.desktop metainfo=$res/$id.metainfo.xml
desktop-file-validate "$desktop"
out=$(appstreamcli validate --no-net "$metainfo" 2>&1) || { echo "$out"; exit 1; }
echo "$out"
if grep -qE '^(E|W):' <<<"$out"; then
  echo "metainfo: errors or warnings above" >&2
  exit 1
fi
grep -q "<id>$id</id>" "$metainfo"
grep -q "<launchable type=\"desktop-id\">$id.desktop</launchable>" "$metainfo"
grep -q '^Exec=flashvsr-studio ' "$desktop"
grep -q '^Icon=flashvsr-studio$' "$desktop"
echo "desktop metadata: ok"
