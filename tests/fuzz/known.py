"""CI seeds (test_fuzz.CI_PROGRAMS) whose programs fail today, with their failure class; each is a
strict xfail, so a fix that makes one pass fails the run until its entry is deleted here."""

KNOWN = {
    3: 'raise in a helper called from a traced branch',
    37: 'early-return lifting: do_return unbound (issue 8 item 1)',
    46: 'retval placeholder unbound (issue 8 items 2, 4)',
    52: 'retval placeholder unbound (issue 8 items 2, 4)',
    68: 'retval placeholder unbound (issue 8 items 2, 4)',
    78: 'retval placeholder unbound (issue 8 items 2, 4)',
    82: 'raise on one path, retval/do_return bug on the other',
    101: 'retval placeholder unbound (issue 8 items 2, 4)',
    104: 'early-return lifting: do_return unbound (issue 8 item 1)',
    113: 'early-return lifting: do_return unbound (issue 8 item 1)',
    135: 'break flag unbound with early returns (issue 8 item 1)',
    138: 'retval placeholder unbound (issue 8 items 2, 4)',
    150: 'call in a nested lambda not converted (issue 8 item 3)',
    169: 'early-return lifting: do_return unbound (issue 8 item 1)',
    178: 'raise in a traced while body runs at trace time',
    187: 'retval placeholder unbound (issue 8 items 2, 4)',
}
