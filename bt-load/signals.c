/* signals.c - SIGINT/SIGTERM (stop), SIGUSR1 (print maps), SIGCHLD, SIGPIPE.
 *
 * Handlers only set flags.  The signals stay blocked except while the
 * event loop waits (epoll_pwait with signals_wait_mask()), so a signal is
 * never lost between checking the flags and going to sleep.  A second
 * SIGINT/SIGTERM while the run is already finishing is handled the same
 * way (the finish is bounded); SIGPIPE is ignored so a vanished bt-fmt
 * shows up as a failed write, which stops the run cleanly.
 */
#include <signal.h>
#include <string.h>

#include "load.h"

volatile int sig_stop;
volatile int sig_usr1;
volatile int sig_chld;

static sigset_t g_wait_mask;

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

	sigset_t block;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &g_wait_mask);
	sigdelset(&g_wait_mask, SIGINT);
	sigdelset(&g_wait_mask, SIGTERM);
	sigdelset(&g_wait_mask, SIGUSR1);
	sigdelset(&g_wait_mask, SIGCHLD);
}

void signals_child_defaults(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

const void *signals_wait_mask(void)
{
	return &g_wait_mask;
}
