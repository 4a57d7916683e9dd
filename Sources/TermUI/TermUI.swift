// TermUI: see docs/DESIGN.md
