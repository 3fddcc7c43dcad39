/* placeholder until the leasexec issue: configure.ac names this file */
int main(void);
