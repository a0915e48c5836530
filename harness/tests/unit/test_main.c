/* test_main.c — runs every libcheck suite.  CK_FORK isolation is libcheck's default; set
 * CK_FORK=no to run in-process (valgrind). */
#include "unit.h"

#include <gnutls/gnutls.h>

int main(void)
{
    if (gnutls_global_init() < 0)
        return 2;
    SRunner *sr = srunner_create(suite_span());
    srunner_add_suite(sr, suite_cell());
    srunner_add_suite(sr, suite_payloads());
    srunner_add_suite(sr, suite_edcert());
    srunner_add_suite(sr, suite_crosscert());
    srunner_add_suite(sr, suite_crypto());
    srunner_add_suite(sr, suite_certs_verify());
    srunner_add_suite(sr, suite_initiator_table());
    srunner_add_suite(sr, suite_tls_client());
    srunner_add_suite(sr, suite_scen_parse());
    srunner_add_suite(sr, suite_scen_build());
    srunner_add_suite(sr, suite_scen_certedit());
    srunner_add_suite(sr, suite_scen_text());
    srunner_add_suite(sr, suite_relay_crypto());
    srunner_add_suite(sr, suite_json());
    srunner_add_suite(sr, suite_vectors());
    srunner_add_suite(sr, suite_tlsrec());
    srunner_add_suite(sr, suite_auth_verify());
    srunner_add_suite(sr, suite_tlshello());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    gnutls_global_deinit();
    return failed == 0 ? 0 : 1;
}
