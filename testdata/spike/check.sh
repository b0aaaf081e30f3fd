echo "--- ps (pid ns):"; ps
echo "--- \$\$ = $$ ; hostname = $(hostname)"
echo "--- caps:"; grep -E 'Cap(Prm|Eff|Bnd|Amb)|NoNewPrivs|Seccomp' /proc/self/status
echo "--- ip:"; ip -4 addr show eth0 | grep inet; ip route
echo "--- mounts:"; cat /proc/self/mounts
echo "--- /sys write:"; touch /sys/kernel/x 2>&1; echo 1 > /sys/kernel/mm/ksm/run 2>&1
echo "--- /proc/sys write:"; echo 1 > /proc/sys/net/ipv4/ip_forward 2>&1; echo 1 > /proc/sys/kernel/domainname 2>&1
echo "--- mount:"; mount -t tmpfs none /mnt 2>&1; mount -t proc proc /tmp 2>&1
echo "--- masked:"; wc -c /proc/kcore /proc/keys /proc/timer_list 2>&1; ls /proc/acpi /sys/firmware 2>&1
echo "--- devs:"; ls -l /dev; head -c 8 /dev/urandom | wc -c; echo hi > /dev/null && echo devnull-ok
echo "--- node files reachable?"; ls /spike /lower /var/lib/mini 2>&1; ls /proc/1/root/ 2>&1 | head -3
echo "--- mknod /dev/sda:"; mknod /tmp/sda b 8 0 2>&1 && (head -c1 /tmp/sda >/dev/null 2>&1 && echo READ-SDA-OK || echo read-sda-denied)
echo "--- cgroup:"; cat /proc/self/cgroup | head -3
