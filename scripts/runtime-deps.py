#!/usr/bin/env python3
"""runtime-deps.py OBJDIR - which runtime files use which, read off the object files.

Issue "One engine interface": the runtime's files should depend on each other without
cycles, except the park/restart protocol.  This prints, for the object files in OBJDIR
(build/runtime/CMakeFiles/kitsune.dir), each file's uses of the others (a use is an
undefined symbol of one object defined by another, as `nm` lists them) and then every
strongly connected group of more than one file: those are the cycles.  It exits 1 if a
cycle has a file outside ALLOWED (the files of the protocol), 0 otherwise.
"""
import os
import subprocess
import sys

ALLOWED = {"update", "threads", "control"}


def symbols(path):
    """(defined, undefined) external symbol names of one object file."""
    out = subprocess.run(["nm", path], capture_output=True, text=True, check=True).stdout
    defined, undefined = set(), set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "U":
            undefined.add(parts[1])
        elif len(parts) == 3 and parts[1] in "TDBRVWCG":
            defined.add(parts[2])
    return defined, undefined


def strongly_connected(graph):
    """Tarjan's algorithm: the strongly connected components of graph (dict of sets)."""
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.add(w)
                if w == v:
                    break
            groups.append(group)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return groups


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: runtime-deps.py OBJDIR")
    objdir = sys.argv[1]
    names = sorted(f for f in os.listdir(objdir) if f.endswith(".c.o"))
    if not names:
        sys.exit(f"runtime-deps.py: no object files in {objdir}")
    defs, uses = {}, {}
    for f in names:
        unit = f[: -len(".c.o")]
        defs[unit], uses[unit] = symbols(os.path.join(objdir, f))
    owner = {s: u for u, ss in defs.items() for s in ss}
    graph = {u: {owner[s] for s in uses[u] if s in owner and owner[s] != u} for u in defs}
    for u in sorted(graph):
        print(f"{u}: {' '.join(sorted(graph[u])) or '-'}")
    cycles = [g for g in strongly_connected(graph) if len(g) > 1]
    bad = 0
    for g in cycles:
        extra = g - ALLOWED
        print(f"cycle: {' '.join(sorted(g))}" + (f"  (beyond the protocol: {' '.join(sorted(extra))})" if extra else ""))
        bad |= bool(extra)
    if not cycles:
        print("no cycles")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
