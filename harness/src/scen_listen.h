/* scen_listen.h — the responder role's side of a scenario: listen, start the target, accept.
 *
 * A responder scenario needs a target that connects to *us*.  The engine listens on a fresh
 * loopback port per scenario (so scenarios can run concurrently) and, if a peer command is
 * configured (`hsprobe run --peer-cmd`), starts that command with the port and the harness
 * identity substituted — e.g. a tor client whose Bridge line points at the port.  The command
 * is our child, in its own process group; it is ended (SIGTERM, then SIGKILL) when the
 * scenario ends, and whatever it printed is kept so that a target that never connects yields
 * an error that shows its log, not a hang. */
#ifndef SCEN_LISTEN_H
#define SCEN_LISTEN_H

#include "scen_run.h"

/* `listen`: opens the listener (env->listen, port 0 by default) and starts the peer command.
 * 0, or -1 with why set (a harness error). */
int scen_listen_start(const sc_env_t *env, const scenario_t *s, sc_listen_rt_t *l, char *why,
                      size_t whylen) HS_MUST_CHECK;
/* `accept`: the next connection before the deadline, as a non-blocking socket.  NET_TIMEOUT
 * when none came (why then includes the peer command's last output lines). */
net_status_t scen_listen_accept(sc_listen_rt_t *l, hs_ns_t deadline, int *fd, char *why,
                                size_t whylen) HS_MUST_CHECK;
/* Ends the peer command (by PID, its own process group) and closes the listener. */
void scen_listen_stop(sc_listen_rt_t *l);

#endif
