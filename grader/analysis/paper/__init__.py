"""Reading and judging a submission's paper PDF: bounded extraction, layout, template family, margins, fonts."""
