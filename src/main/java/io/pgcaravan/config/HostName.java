package io.pgcaravan.config;

/**
 * This host's name, looked up once: a fleet's replica is named by it unless configured, and the
 * name is asked for on every line of a run's log and every claim.
 */
final class HostName {

    static final String NAME = lookUp();

    private HostName() {
    }

    private static String lookUp() {
        String host = System.getenv("HOSTNAME");
        if (host != null && !host.isBlank()) {
            return host;
        }
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.net.UnknownHostException e) {
            return "replica-" + ProcessHandle.current().pid();
        }
    }
}
