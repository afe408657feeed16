/**
 * A testcontainers GenericContainer whose published ports listen on 127.0.0.1 only.
 * testcontainers publishes on every interface of the host (HostIp unset); the harness talks to
 * its containers through loopback and nothing else on the network should reach a reference
 * issuer holding a run's secrets. The host port is chosen by the caller (a free one): the
 * issuer identifier and the RS's public URL must name it before the container starts.
 */
import { GenericContainer } from 'testcontainers';

export class LoopbackContainer extends GenericContainer {
  withLoopbackPort(containerPort: number, hostPort: number): this {
    this.withExposedPorts({ container: containerPort, host: hostPort });
    const key = `${containerPort}/tcp`;
    this.hostConfig.PortBindings = {
      ...this.hostConfig.PortBindings,
      [key]: [{ HostIp: '127.0.0.1', HostPort: String(hostPort) }],
    };
    return this;
  }
}
