"""Personal data kept only as long as it may be: erasure on request, the right of access, and retention."""
