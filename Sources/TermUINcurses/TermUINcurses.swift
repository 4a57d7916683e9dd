// TermUINcurses: see docs/DESIGN.md
import CNcurses
