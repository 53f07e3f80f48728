"""CI seeds (test_fuzz.CI_PROGRAMS) whose programs fail today, with their failure class; each is a
strict xfail, so a fix that makes one pass fails the run until its entry is deleted here."""

KNOWN: dict[int, str] = {}
