/* test_initiator_table.c — walks the initiator's handshake table (STYLE.md: a test that walks
 * and prints the table), checking that the happy path is exactly the spec's order and that
 * everything else is out of sequence. */
#include "unit.h"

#include "link_initiator.h"

START_TEST(happy_path_is_the_spec_order)
{
    const uint8_t flight[] = { CELL_VERSIONS, CELL_CERTS, CELL_AUTH_CHALLENGE, CELL_NETINFO,
                               CELL_CREATED_FAST };
    li_state_t st = LI_WAIT_VERSIONS;
    for (size_t i = 0; i < sizeof(flight); i++) {
        const li_rule_t *r = li_lookup(st, flight[i]);
        ck_assert_msg(r != NULL, "%s refused in %s", cell_cmd_name(flight[i]), li_state_name(st));
        ck_assert(r->next != LI_SAME);
        st = r->next;
    }
    ck_assert_int_eq(st, LI_DONE);
}
END_TEST

START_TEST(out_of_sequence_cells_have_no_row)
{
    /* Before VERSIONS nothing but VERSIONS/ignorables; CERTS twice; AUTH_CHALLENGE before
     * CERTS; NETINFO before AUTH_CHALLENGE; fixed PADDING or CREATE_FAST during the
     * handshake; AUTHENTICATE (only initiators send it). */
    ck_assert_ptr_null(li_lookup(LI_WAIT_VERSIONS, CELL_CERTS));
    ck_assert_ptr_null(li_lookup(LI_WAIT_VERSIONS, CELL_NETINFO));
    ck_assert_ptr_null(li_lookup(LI_WAIT_AUTH_CHALLENGE, CELL_CERTS));
    ck_assert_ptr_null(li_lookup(LI_WAIT_CERTS, CELL_AUTH_CHALLENGE));
    ck_assert_ptr_null(li_lookup(LI_WAIT_AUTH_CHALLENGE, CELL_NETINFO));
    ck_assert_ptr_null(li_lookup(LI_WAIT_NETINFO, CELL_AUTH_CHALLENGE));
    ck_assert_ptr_null(li_lookup(LI_WAIT_CERTS, CELL_PADDING));
    ck_assert_ptr_null(li_lookup(LI_WAIT_NETINFO, CELL_CREATE_FAST));
    for (li_state_t s = LI_WAIT_VERSIONS; s <= LI_WAIT_CREATED_FAST; s++)
        ck_assert_ptr_null(li_lookup(s, CELL_AUTHENTICATE));
}
END_TEST

START_TEST(ignorable_cells_keep_the_state)
{
    for (li_state_t s = LI_WAIT_VERSIONS; s <= LI_WAIT_NETINFO; s++) {
        const uint8_t ign[] = { CELL_VPADDING, CELL_AUTHORIZE, 200 };
        for (size_t i = 0; i < sizeof(ign); i++) {
            const li_rule_t *r = li_lookup(s, ign[i]);
            ck_assert_ptr_nonnull(r);
            ck_assert_int_eq(r->next, LI_SAME);
        }
    }
}
END_TEST

START_TEST(table_prints)
{
    size_t n;
    const li_rule_t *t = li_table(&n);
    ck_assert_uint_gt(n, 5);
    for (size_t i = 0; i < n; i++) {
        ck_assert_ptr_nonnull(t[i].handle);
        ck_assert_ptr_nonnull(t[i].why);
        if (getenv("HSPROBE_PRINT_TABLE"))
            printf("%-22s %-16s -> %-20s %s\n",
                   t[i].state == LI_ANY_HANDSHAKE ? "any-handshake" : li_state_name(t[i].state),
                   t[i].cmd == LI_CMD_UNKNOWN_VAR ? "unknown-var" : cell_cmd_name((uint8_t)t[i].cmd),
                   t[i].next == LI_SAME ? "(same)" : li_state_name(t[i].next), t[i].why);
    }
}
END_TEST

Suite *suite_initiator_table(void)
{
    Suite *s = suite_create("link_initiator_table");
    TCase *t = tcase_create("table");
    tcase_add_test(t, happy_path_is_the_spec_order);
    tcase_add_test(t, out_of_sequence_cells_have_no_row);
    tcase_add_test(t, ignorable_cells_keep_the_state);
    tcase_add_test(t, table_prints);
    suite_add_tcase(s, t);
    return s;
}
