//! What an auditd record type means as an audit action, and the names of
//! the syscalls audit rules usually watch.
//!
//! Record types are those of `linux/audit.h` and `libaudit.h` (1100–1199
//! user-space messages, 1300– kernel events); actions follow SCHEMA.md's
//! dotted lower-case verbs (`user.login`, `syscall.execve`). A type not in
//! the table becomes `audit.<type in lower case>`, so nothing is unnamed.

/// (record type, action, category).
const RECORD_ACTIONS: &[(&str, &str, &str)] = &[
    ("USER_LOGIN", "user.login", "auth"),
    ("USER_LOGOUT", "user.logout", "auth"),
    ("USER_AUTH", "user.authenticate", "auth"),
    ("USER_ACCT", "user.authorize", "auth"),
    ("USER_START", "session.start", "auth"),
    ("USER_END", "session.end", "auth"),
    ("LOGIN", "session.login_uid_set", "auth"),
    ("USER_ERR", "user.auth_error", "auth"),
    ("CRED_ACQ", "credentials.acquire", "auth"),
    ("CRED_DISP", "credentials.dispose", "auth"),
    ("CRED_REFR", "credentials.refresh", "auth"),
    ("USER_CMD", "user.command", "system"),
    ("USER_TTY", "tty.input", "system"),
    ("TTY", "tty.input", "system"),
    ("USER_ROLE_CHANGE", "user.role_change", "iam"),
    ("ROLE_ASSIGN", "role.assign", "iam"),
    ("ROLE_REMOVE", "role.remove", "iam"),
    ("ADD_USER", "user.create", "iam"),
    ("DEL_USER", "user.delete", "iam"),
    ("USER_MGMT", "user.modify", "iam"),
    ("ADD_GROUP", "group.create", "iam"),
    ("DEL_GROUP", "group.delete", "iam"),
    ("GRP_MGMT", "group.modify", "iam"),
    ("USER_CHAUTHTOK", "user.password_change", "iam"),
    ("ACCT_LOCK", "user.lock", "iam"),
    ("ACCT_UNLOCK", "user.unlock", "iam"),
    ("CONFIG_CHANGE", "audit.config_change", "config"),
    ("DAEMON_START", "auditd.start", "system"),
    ("DAEMON_END", "auditd.stop", "system"),
    ("DAEMON_ABORT", "auditd.abort", "system"),
    ("DAEMON_CONFIG", "auditd.config", "config"),
    ("DAEMON_ROTATE", "auditd.rotate", "system"),
    ("SERVICE_START", "service.start", "system"),
    ("SERVICE_STOP", "service.stop", "system"),
    ("SYSTEM_BOOT", "system.boot", "system"),
    ("SYSTEM_SHUTDOWN", "system.shutdown", "system"),
    ("SYSTEM_RUNLEVEL", "system.runlevel_change", "system"),
    ("USYS_CONFIG", "system.config_change", "config"),
    ("NETFILTER_CFG", "netfilter.config_change", "config"),
    ("MAC_POLICY_LOAD", "selinux.policy_load", "config"),
    ("MAC_STATUS", "selinux.status_change", "config"),
    ("AVC", "selinux.access", "system"),
    ("USER_AVC", "selinux.user_access", "system"),
    ("SELINUX_ERR", "selinux.error", "system"),
    ("ANOM_PROMISCUOUS", "anomaly.promiscuous", "system"),
    ("ANOM_ABEND", "anomaly.abend", "system"),
    ("ANOM_LOGIN_FAILURES", "anomaly.login_failures", "auth"),
    ("CRYPTO_KEY_USER", "crypto.key", "auth"),
    ("CRYPTO_SESSION", "crypto.session", "auth"),
    ("BPRM_FCAPS", "process.capabilities", "system"),
    ("KERN_MODULE", "kernel.module", "system"),
    ("EXECVE", "syscall.execve", "system"),
];

/// The action and category of a record type.
pub(super) fn record_action(kind: &str) -> (String, &'static str) {
    match RECORD_ACTIONS.iter().find(|(k, _, _)| *k == kind) {
        Some((_, action, category)) => (action.to_string(), category),
        None => {
            let lower: String = kind
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                .map(|c| c.to_ascii_lowercase())
                .collect();
            (format!("audit.{lower}"), "system")
        }
    }
}

/// x86_64 syscall numbers (`arch=c000003e`) of the calls audit rules
/// commonly watch; others are named by number.
const X86_64_SYSCALLS: &[(u32, &str)] = &[
    (0, "read"),
    (1, "write"),
    (2, "open"),
    (3, "close"),
    (4, "stat"),
    (9, "mmap"),
    (21, "access"),
    (41, "socket"),
    (42, "connect"),
    (43, "accept"),
    (44, "sendto"),
    (49, "bind"),
    (50, "listen"),
    (56, "clone"),
    (57, "fork"),
    (58, "vfork"),
    (59, "execve"),
    (60, "exit"),
    (62, "kill"),
    (76, "truncate"),
    (77, "ftruncate"),
    (82, "rename"),
    (83, "mkdir"),
    (84, "rmdir"),
    (85, "creat"),
    (86, "link"),
    (87, "unlink"),
    (88, "symlink"),
    (90, "chmod"),
    (91, "fchmod"),
    (92, "chown"),
    (93, "fchown"),
    (94, "lchown"),
    (101, "ptrace"),
    (105, "setuid"),
    (106, "setgid"),
    (113, "setreuid"),
    (114, "setregid"),
    (117, "setresuid"),
    (119, "setresgid"),
    (137, "statfs"),
    (160, "setrlimit"),
    (161, "chroot"),
    (165, "mount"),
    (166, "umount2"),
    (169, "reboot"),
    (170, "sethostname"),
    (175, "init_module"),
    (176, "delete_module"),
    (188, "setxattr"),
    (189, "lsetxattr"),
    (190, "fsetxattr"),
    (197, "removexattr"),
    (200, "tkill"),
    (234, "tgkill"),
    (257, "openat"),
    (258, "mkdirat"),
    (260, "fchownat"),
    (263, "unlinkat"),
    (264, "renameat"),
    (265, "linkat"),
    (266, "symlinkat"),
    (268, "fchmodat"),
    (288, "accept4"),
    (313, "finit_module"),
    (316, "renameat2"),
    (322, "execveat"),
    (437, "openat2"),
];

/// `syscall.execve` for x86_64 number 59; `syscall.42` when unnamed.
pub(super) fn syscall_action(arch: Option<&str>, number: &str) -> String {
    let name = (arch == Some("c000003e"))
        .then(|| number.parse::<u32>().ok())
        .flatten()
        .and_then(|n| X86_64_SYSCALLS.iter().find(|(k, _)| *k == n))
        .map(|(_, name)| *name);
    // Two appends, not `format!` (its formatting machinery, once per event).
    let name = name.unwrap_or(number);
    let mut action = String::with_capacity("syscall.".len() + name.len());
    action.push_str("syscall.");
    action.push_str(name);
    action
}
