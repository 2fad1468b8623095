package io.pgcaravan.exec;

import io.pgcaravan.track.RunHeaders;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;
import org.apache.camel.Exchange;
import org.apache.camel.component.exec.ExecCommand;
import org.apache.camel.component.exec.ExecEndpoint;
import org.apache.camel.component.exec.impl.DefaultExecBinding;

/**
 * camel-exec's binding, plus the run id: the command carries it to {@link ToolExecutor}, which
 * logs the tool's output under the run and registers the process so a cancel can stop it.
 * The message body is never fed to the tool's stdin.
 */
@ApplicationScoped
@Named("toolBinding")
public class ToolBinding extends DefaultExecBinding {

    @Override
    public ExecCommand readInput(Exchange exchange, ExecEndpoint endpoint) {
        return new ToolCommand(super.readInput(exchange, endpoint), exchange.getMessage().getHeader(RunHeaders.RUN_ID, String.class),
                exchange.getUnitOfWork().getRoute().getRouteId());
    }
}
