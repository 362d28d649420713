#!/bin/sh
#
# script/embed.sh: writes, on standard output, a C file that embeds a file's
# bytes, so the binary carries it and needs no data file at run time.
#
#   script/embed.sh SYMBOL FILE [HEADER]
#
# defines `const char SYMBOL[]` (the bytes plus a terminating NUL) and
# `const size_t SYMBOL_len` (the byte count, without the NUL), after
# including config.h and HEADER, which should declare both so the compiler
# checks that they agree.  Plain POSIX sh, od and sed: it runs wherever
# the build does, in VPATH builds and `make distcheck` alike (the Makefile
# passes $(srcdir) paths).
#
set -eu

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
	echo "usage: $0 SYMBOL FILE [HEADER]" >&2
	exit 2
fi
sym=$1
file=$2
header=${3:-}

case $sym in
[A-Za-z_]*) ;;
*)	echo "$0: bad symbol name: $sym" >&2; exit 2 ;;
esac
if [ ! -r "$file" ]; then
	echo "$0: cannot read $file" >&2
	exit 1
fi

echo "/* Generated from $(basename "$file") by script/embed.sh: do not edit. */"
echo '#include "config.h"'
echo
echo '#include <stddef.h>'
if [ -n "$header" ]; then
	echo
	echo "#include \"$header\""
fi
echo
echo "const char $sym[] = {"
# od prints the bytes as hex, 16 to a line; sed makes each a C literal.
od -An -v -tx1 "$file" | sed -e 's/[[:space:]]*$//' -e '/^$/d' \
    -e 's/[[:space:]]*\([0-9a-f][0-9a-f]\)/ 0x\1,/g' -e 's/^ /	/'
echo "	0x00"
echo "};"
echo
echo "const size_t ${sym}_len = sizeof($sym) - 1;"
