"""Sign in to an SFTP server with paramiko and copy a file up and back.

usage: paramiko_client.py HOST PORT USER PASSWORD METHOD LOCAL REMOTE BACK

METHOD is "password" or "keyboard-interactive". Exits non-zero with a
message on any failure.
"""
import socket
import sys

import paramiko


def main():
    host, port, user, password, method, local, remote, back = sys.argv[1:9]
    sock = socket.create_connection((host, int(port)), timeout=30)
    t = paramiko.Transport(sock)
    t.start_client(timeout=30)
    # The test does not check the host key: the server made it a moment ago.
    if method == "password":
        t.auth_password(user, password)
    elif method == "keyboard-interactive":
        def answer(title, instructions, prompts):
            return [password for _ in prompts]
        t.auth_interactive(user, answer)
    else:
        sys.exit("unknown method " + method)
    if not t.is_authenticated():
        sys.exit("not authenticated")
    sftp = paramiko.SFTPClient.from_transport(t)
    sftp.put(local, remote)
    if sftp.stat(remote).st_size != sftp.stat(remote).st_size:
        sys.exit("stat changed")
    sftp.get(remote, back)
    sftp.close()
    t.close()


if __name__ == "__main__":
    main()
