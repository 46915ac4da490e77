// The Perl helper installed into every lab host (<dir>/bin/lab-helper.pl): process table, SysV IPC and
// /dev/shm snapshots as JSON, spawning a process at a chosen PID, and creating SysV semaphore sets.
// Perl because IPC::SysV and JSON::PP ship with Debian's perl and semctl(SETVAL) records the caller as sempid.

export const HOST_HELPER_SCRIPT = String.raw`#!/usr/bin/perl
# pgrescue lab helper (generated). Usage: lab-helper.pl procs | capture PIDFILE... | spawn-at-pid [--wait] PID UID GID -- CMD... | sem-create [--stay] SPEC_JSON
use strict;
use warnings;
use JSON::PP;
use POSIX ();
use Time::HiRes ();
use IPC::SysV qw(IPC_CREAT IPC_EXCL SETVAL GETPID GETALL);

my $json = JSON::PP->new->canonical;
my $cmd = shift(@ARGV) // die "usage: lab-helper.pl COMMAND\n";

sub slurp {
    my ($file) = @_;
    open(my $fh, '<', $file) or return undef;
    local $/;
    my $content = <$fh>;
    close($fh);
    return $content;
}

sub procs {
    my @out;
    opendir(my $dir, '/proc') or die "cannot read /proc: $!\n";
    for my $pid (sort { $a <=> $b } grep { /^\d+$/ } readdir($dir)) {
        next if $pid == $$;
        my $stat = slurp("/proc/$pid/stat") // next;
        my $open = index($stat, '(');
        my $close = rindex($stat, ')');
        my $comm = substr($stat, $open + 1, $close - $open - 1);
        my @fields = split(' ', substr($stat, $close + 2));
        my $status = slurp("/proc/$pid/status") // '';
        my ($uid) = $status =~ /^Uid:\s+(\d+)/m;
        my $cmdline = slurp("/proc/$pid/cmdline") // '';
        $cmdline =~ s/\0+$//;
        $cmdline =~ s/\0/ /g;
        my $cwd = readlink("/proc/$pid/cwd");
        push @out, {
            pid => $pid + 0, ppid => $fields[1] + 0, state => $fields[0], startTime => $fields[19] + 0,
            uid => defined($uid) ? $uid + 0 : -1, comm => $comm, args => $cmdline, cwd => $cwd,
        };
    }
    closedir($dir);
    return \@out;
}

sub table {
    my ($file) = @_;
    my $text = slurp($file) // return [];
    my @lines = split(/\n/, $text);
    my @header = split(' ', shift(@lines) // '');
    my @rows;
    for my $line (@lines) {
        my @values = split(' ', $line);
        my %row;
        @row{@header} = @values;
        push @rows, \%row;
    }
    return \@rows;
}

sub unsigned_key { my ($key) = @_; $key += 0; return $key < 0 ? $key + 4294967296 : $key; }

sub shm {
    return [ map { {
        key => unsigned_key($_->{key}), shmid => $_->{shmid} + 0, perms => oct($_->{perms}), size => $_->{size} + 0,
        cpid => $_->{cpid} + 0, lpid => $_->{lpid} + 0, nattch => $_->{nattch} + 0, uid => $_->{uid} + 0, cuid => $_->{cuid} + 0,
    } } @{ table('/proc/sysvipc/shm') } ];
}

sub sem {
    my @out;
    for my $row (@{ table('/proc/sysvipc/sem') }) {
        my $id = $row->{semid} + 0;
        my $nsems = $row->{nsems} + 0;
        my $buf = '';
        my @values = semctl($id, 0, GETALL, $buf) ? unpack('S*', $buf) : ();
        my @pids = map { my $p = semctl($id, $_, GETPID, 0); defined($p) ? $p + 0 : -1 } 0 .. $nsems - 1;
        push @out, {
            key => unsigned_key($row->{key}), semid => $id, perms => oct($row->{perms}), nsems => $nsems,
            uid => $row->{uid} + 0, cuid => $row->{cuid} + 0, values => [ map { $_ + 0 } @values ], pids => \@pids,
        };
    }
    return \@out;
}

sub dev_shm {
    my @out;
    opendir(my $dir, '/dev/shm') or return [];
    for my $name (sort grep { $_ ne '.' && $_ ne '..' } readdir($dir)) {
        my @st = Time::HiRes::lstat("/dev/shm/$name") or next;
        push @out, { name => $name, size => $st[7] + 0, uid => $st[4] + 0, mtimeMs => int($st[9] * 1000) };
    }
    closedir($dir);
    return \@out;
}

sub pid_files {
    my @out;
    for my $arg (@_) {
        my ($instance, $path) = split(/=/, $arg, 2);
        my @st = Time::HiRes::stat($path);
        push @out, { instance => $instance, path => $path, content => slurp($path), mtimeMs => @st ? int($st[9] * 1000) : undef };
    }
    return \@out;
}

sub drop_to {
    my ($uid, $gid) = @_;
    return if $uid == $< && $gid == $(;
    $) = "$gid $gid";
    POSIX::setgid($gid) or die "setgid $gid: $!\n";
    POSIX::setuid($uid) or die "setuid $uid: $!\n";
}

# Forks until a child gets exactly PID $target: through ns_last_pid when allowed (root in the lab's PID
# namespace), otherwise by cycling PIDs. The child drops to uid/gid and execs the command.
sub spawn_at_pid {
    my $wait = 0;
    if (@ARGV && $ARGV[0] eq '--wait') { $wait = 1; shift(@ARGV); }
    my ($target, $uid, $gid, $sep, @command) = @ARGV;
    die "usage: spawn-at-pid [--wait] PID UID GID -- CMD...\n" unless defined($sep) && $sep eq '--' && @command;
    die "PID $target is in use\n" if -e "/proc/$target";
    my $pid_max = (slurp('/proc/sys/kernel/pid_max') // 32768) + 0;
    for my $round (1 .. 2 * $pid_max + 100) {
        if (open(my $fh, '>', '/proc/sys/kernel/ns_last_pid')) {
            print $fh ($target - 1);
            close($fh);
        }
        my $pid = fork() // die "fork: $!\n";
        if ($pid == 0) {
            POSIX::_exit(0) if $$ != $target;
            eval {
                drop_to($uid, $gid);
                chdir('/');
                if (!$wait) {
                    POSIX::setsid();
                    open(STDIN, '<', '/dev/null');
                    open(STDOUT, '>', '/dev/null');
                    open(STDERR, '>', '/dev/null');
                }
                exec { $command[0] } @command or POSIX::_exit(127);
            };
            POSIX::_exit(127);
        }
        if ($pid == $target) {
            # With --wait the child's own output follows on the same stdout; it reports its PID itself.
            if ($wait) { waitpid($pid, 0); exit($? >> 8); }
            print "$pid\n";
            exit(0);
        }
        waitpid($pid, 0);
        die "PID $target is in use\n" if -e "/proc/$target";
    }
    die "could not get PID $target\n";
}

# SPEC: [{"nsems":17,"keyStart":5432001,"values":[1,...,537]}]; keys increase on EEXIST like PostgreSQL's.
sub sem_create {
    my $stay = 0;
    if (@ARGV && $ARGV[0] eq '--stay') { $stay = 1; shift(@ARGV); }
    my $spec = $json->decode($ARGV[0] // die "usage: sem-create [--stay] SPEC_JSON\n");
    my @created;
    for my $set (@$spec) {
        my $key = $set->{keyStart};
        my $id;
        for (1 .. 1000) {
            $id = semget($key, $set->{nsems}, IPC_CREAT | IPC_EXCL | 0600);
            last if defined($id);
            die "semget: $!\n" unless $!{EEXIST};
            $key++;
        }
        die "no free semaphore key from $set->{keyStart}\n" unless defined($id);
        my $n = 0;
        for my $value (@{ $set->{values} }) {
            semctl($id, $n, SETVAL, $value) or die "semctl SETVAL: $!\n";
            $n++;
        }
        push @created, { semid => $id + 0, key => $key + 0 };
    }
    print $json->encode({ pid => $$ + 0, sets => \@created }), "\n";
    if ($stay) {
        POSIX::setsid();
        open(STDIN, '<', '/dev/null');
        open(STDOUT, '>', '/dev/null');
        open(STDERR, '>', '/dev/null');
        exec { 'sleep' } 'sleep', 'infinity' or POSIX::_exit(127);
    }
}

if ($cmd eq 'procs') {
    print $json->encode(procs()), "\n";
} elsif ($cmd eq 'capture') {
    print $json->encode({ processes => procs(), shm => shm(), sem => sem(), devShm => dev_shm(), pidFiles => pid_files(@ARGV) }), "\n";
} elsif ($cmd eq 'spawn-at-pid') {
    spawn_at_pid();
} elsif ($cmd eq 'sem-create') {
    sem_create();
} else {
    die "unknown command $cmd\n";
}
`;
