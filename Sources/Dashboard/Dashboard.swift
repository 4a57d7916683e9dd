// Dashboard: see docs/DESIGN.md
import TermUI
import FERTraining
