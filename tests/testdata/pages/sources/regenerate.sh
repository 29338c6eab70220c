#!/bin/sh
# Regenerates the GBK and Big5 sample pages from their UTF-8 sources.
# Run from anywhere; commit the regenerated files in ../samples/.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
iconv -f UTF-8 -t GBK "$here/s02_gbk_anxi_tea.utf8.txt" > "$here/../samples/s02_gbk_anxi_tea.txt"
iconv -f UTF-8 -t BIG5 "$here/s03_big5_kinmen_ferry.utf8.txt" > "$here/../samples/s03_big5_kinmen_ferry.txt"
