//! Who is on the other end of a loopback connection: the Runtime API of an instance serves
//! only that instance's process and its descendants. Anyone else on the machine (another
//! user, another program of the same user) who finds the port could otherwise take the next
//! event, with the caller's token in it, and answer in the function's place.
//!
//! Linux only: the client's socket is found by its address pair through the kernel's socket
//! diagnostics (`NETLINK_SOCK_DIAG`, an exact lookup of that one socket, as `ss` makes), which
//! gives its inode and owner; then among the file descriptors of the instance's process tree
//! (`socket:[<inode>]`). A process of another user cannot be read there, and is not the
//! instance's descendant anyway. Where netlink is not available, `/proc/net/tcp{,6}` is read
//! instead: it is produced a page at a time, so under connection churn an entry can be missed
//! in one read, and a miss is read again before the connection is refused.

use std::net::SocketAddr;

/// Whether the TCP connection from `peer` to `local` (our listener) is held by process `root`
/// or one of its descendants.
#[cfg(target_os = "linux")]
pub fn held_by_tree(root: u32, local: SocketAddr, peer: SocketAddr) -> bool {
    let Some(inode) = client_socket_inode(local, peer) else {
        return false;
    };
    let link = format!("socket:[{inode}]");
    tree(root).into_iter().any(|pid| holds(pid, &link))
}

/// On other systems the peer cannot be identified; every local connection is served.
#[cfg(not(target_os = "linux"))]
pub fn held_by_tree(_root: u32, _local: SocketAddr, _peer: SocketAddr) -> bool {
    true
}

/// The inode of the client's end of the connection: the socket whose local address is
/// `peer` and whose remote address is `local`.
#[cfg(target_os = "linux")]
fn client_socket_inode(local: SocketAddr, peer: SocketAddr) -> Option<u64> {
    match diag::inode(peer, local) {
        Ok(found) => found,
        Err(_) => (0..3).find_map(|_| proc_inode(local, peer)),
    }
}

/// The kernel's socket diagnostics, asked for one TCP socket by its addresses.
#[cfg(target_os = "linux")]
mod diag {
    use std::net::SocketAddr;

    use rustix::net::netlink::{SOCK_DIAG, SocketAddrNetlink};
    use rustix::net::{AddressFamily, RecvFlags, SendFlags, SocketType};

    const SOCK_DIAG_BY_FAMILY: u16 = 20;
    const NLM_F_REQUEST: u16 = 1;
    const NLMSG_ERROR: u16 = 2;
    const IPPROTO_TCP: u8 = 6;
    const TCP_ESTABLISHED: u32 = 1;

    /// The inode of the established TCP socket with local address `src` and remote `dst`;
    /// `Ok(None)` when there is none, `Err` when the kernel cannot be asked.
    pub(super) fn inode(src: SocketAddr, dst: SocketAddr) -> std::io::Result<Option<u64>> {
        let fd = rustix::net::socket(AddressFamily::NETLINK, SocketType::DGRAM, Some(SOCK_DIAG))?;
        rustix::net::sockopt::set_socket_timeout(
            &fd,
            rustix::net::sockopt::Timeout::Recv,
            Some(std::time::Duration::from_secs(1)),
        )?;
        let req = request(src, dst);
        rustix::net::sendto(&fd, &req, SendFlags::empty(), &SocketAddrNetlink::new(0, 0))?;
        let mut buf = [0u8; 512];
        let (n, _) = rustix::net::recv(&fd, &mut buf[..], RecvFlags::empty())?;
        Ok(parse(&buf[..n]))
    }

    /// `nlmsghdr` + `inet_diag_req_v2` for one socket (`inet_diag_sockid` with no cookie).
    fn request(src: SocketAddr, dst: SocketAddr) -> Vec<u8> {
        let mut m = Vec::with_capacity(72);
        m.extend_from_slice(&72u32.to_ne_bytes());
        m.extend_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes());
        m.extend_from_slice(&NLM_F_REQUEST.to_ne_bytes());
        m.extend_from_slice(&1u32.to_ne_bytes()); // sequence
        m.extend_from_slice(&0u32.to_ne_bytes()); // port id: the kernel fills it in
        let family: u8 = if src.is_ipv4() { 2 } else { 10 };
        m.extend_from_slice(&[family, IPPROTO_TCP, 0, 0]);
        m.extend_from_slice(&(1u32 << TCP_ESTABLISHED).to_ne_bytes());
        m.extend_from_slice(&src.port().to_be_bytes());
        m.extend_from_slice(&dst.port().to_be_bytes());
        for a in [src, dst] {
            let mut words = [0u8; 16];
            match a {
                SocketAddr::V4(v4) => words[..4].copy_from_slice(&v4.ip().octets()),
                SocketAddr::V6(v6) => words.copy_from_slice(&v6.ip().octets()),
            }
            m.extend_from_slice(&words);
        }
        m.extend_from_slice(&0u32.to_ne_bytes()); // interface
        m.extend_from_slice(&[0xff; 8]); // INET_DIAG_NOCOOKIE
        m
    }

    /// The inode in an `inet_diag_msg` answer; `None` for an error answer (no such socket).
    fn parse(answer: &[u8]) -> Option<u64> {
        let u16_at = |i: usize| Some(u16::from_ne_bytes(answer.get(i..i + 2)?.try_into().ok()?));
        let u32_at = |i: usize| Some(u32::from_ne_bytes(answer.get(i..i + 4)?.try_into().ok()?));
        if u16_at(4)? == NLMSG_ERROR {
            return None;
        }
        // nlmsghdr (16), then family/state/timer/retrans (4), sockid (48), expires, rqueue,
        // wqueue, uid (16), inode.
        let inode = u32_at(16 + 4 + 48 + 16)?;
        (inode != 0).then_some(u64::from(inode))
    }
}

/// `/proc/net/tcp`'s form of an address: the IPv4 word or IPv6 words as the kernel stores
/// them (native byte order, printed in hex), and the port in hex.
#[cfg(target_os = "linux")]
fn proc_form(a: SocketAddr) -> String {
    use std::fmt::Write;
    match a {
        SocketAddr::V4(v4) => format!(
            "{:08X}:{:04X}",
            u32::from_ne_bytes(v4.ip().octets()),
            v4.port()
        ),
        SocketAddr::V6(v6) => {
            let mut s = String::with_capacity(37);
            for chunk in v6.ip().octets().chunks(4) {
                let word = u32::from_ne_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
                let _ = write!(s, "{word:08X}");
            }
            let _ = write!(s, ":{:04X}", v6.port());
            s
        }
    }
}

/// [`client_socket_inode`] from `/proc/net/tcp{,6}`; a socket in `TIME_WAIT` (inode 0) is
/// no one's.
#[cfg(target_os = "linux")]
fn proc_inode(local: SocketAddr, peer: SocketAddr) -> Option<u64> {
    let table = if peer.is_ipv4() {
        "/proc/net/tcp"
    } else {
        "/proc/net/tcp6"
    };
    let text = std::fs::read_to_string(table).ok()?;
    let (want_local, want_remote) = (proc_form(peer), proc_form(local));
    text.lines().skip(1).find_map(|line| {
        let f: Vec<&str> = line.split_whitespace().collect();
        (f.get(1) == Some(&want_local.as_str()) && f.get(2) == Some(&want_remote.as_str()))
            .then(|| f.get(9)?.parse().ok())
            .flatten()
            .filter(|inode| *inode != 0)
    })
}

/// `root` and its descendants.
#[cfg(target_os = "linux")]
fn tree(root: u32) -> Vec<u32> {
    let mut out = vec![root];
    let mut i = 0;
    while i < out.len() {
        let pid = out[i];
        if let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) {
            for t in tasks.flatten() {
                let children =
                    std::fs::read_to_string(t.path().join("children")).unwrap_or_default();
                out.extend(
                    children
                        .split_whitespace()
                        .filter_map(|c| c.parse::<u32>().ok()),
                );
            }
        }
        i += 1;
    }
    out
}

/// Whether `pid` has a file descriptor pointing at `link`.
#[cfg(target_os = "linux")]
fn holds(pid: u32, link: &str) -> bool {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return false;
    };
    fds.flatten()
        .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|t| t.as_os_str() == link))
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn loopback_addresses_take_the_kernels_form() {
        let a: SocketAddr = "127.0.0.1:8080".parse().expect("addr");
        assert_eq!(proc_form(a), "0100007F:1F90");
    }

    #[test]
    fn a_connection_is_held_by_this_process_and_not_by_another() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let local = listener.local_addr().expect("addr");
        let client = std::net::TcpStream::connect(local).expect("connect");
        let (_server_end, peer) = listener.accept().expect("accept");
        assert_eq!(peer, client.local_addr().expect("addr"));
        assert!(held_by_tree(std::process::id(), local, peer));
        // Both ways of finding the socket agree.
        assert_eq!(
            diag::inode(peer, local).expect("netlink"),
            proc_inode(local, peer)
        );
        assert!(diag::inode(local, peer).expect("netlink").is_some());
        let nobody: SocketAddr = "127.0.0.1:1".parse().expect("addr");
        assert_eq!(diag::inode(nobody, local).expect("netlink"), None);
        // Another process (a child of this test, started after the connection) does not.
        let child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .expect("sleep");
        assert!(!held_by_tree(child.id(), local, peer));
        let mut child = child;
        let _ = child.kill();
        let _ = child.wait();
    }
}
