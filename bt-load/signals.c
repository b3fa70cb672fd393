/* signals.c - SIGINT/SIGTERM (stop), SIGUSR1 (print maps), SIGCHLD, SIGPIPE.
 *
 * Handlers only set flags, which the event loop checks between poll rounds
 * and the ring-buffer callback checks for every record (so a stop request
 * is seen even while a flood of events keeps the consumer busy).  The
 * signals are never blocked: one arriving just before the loop goes to
 * sleep is seen at the latest when the 100 ms poll times out.  SIGPIPE is
 * ignored so a vanished bt-fmt shows up as a failed write, which stops the
 * run cleanly.
 */
#include <signal.h>
#include <string.h>

#include "load.h"

volatile int sig_stop;
volatile int sig_usr1;
volatile int sig_chld;


static void on_stop(int s) { (void)s; sig_stop = 1; }
static void on_usr1(int s) { (void)s; sig_usr1 = 1; }
static void on_chld(int s) { (void)s; sig_chld = 1; }

void signals_init(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = on_chld;
	sa.sa_flags = SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sa.sa_flags = 0;
	sigaction(SIGPIPE, &sa, NULL);

}

/* The signals a child gets back at their default action. */
void signals_child_set(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGUSR1);
	sigaddset(set, SIGCHLD);
	sigaddset(set, SIGPIPE);
}

void signals_child_defaults(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	sigset_t set;
	signals_child_set(&set);
	for (int sig = 1; sig < NSIG; sig++)
		if (sigismember(&set, sig) == 1)
			sigaction(sig, &sa, NULL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}
