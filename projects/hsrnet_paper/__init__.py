"""Work built on hsrcount to reproduce the HSRNet paper: budget comparisons,
the figures and tables. Not part of the installed package."""
