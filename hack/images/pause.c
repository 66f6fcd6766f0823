/* The lab's sandbox ("pause") program: holds a Pod's namespaces and reaps orphans until told
 * to stop. Built static by hack/images.sh into the pause image that every node's containerd
 * names as its sandbox image (no image registry is reachable from the lab). */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void stop(int sig) { (void)sig; _exit(0); }
static void reap(int sig) { (void)sig; while (waitpid(-1, NULL, WNOHANG) > 0) {} }

int main(void) {
  signal(SIGINT, stop);
  signal(SIGTERM, stop);
  signal(SIGCHLD, reap);
  for (;;) pause();
  return 0;
}
