import { Injectable } from '@nestjs/common';

/** How a connected client presents itself, e.g. bound into its call token. */
export interface ClientIdentity {
  displayName?: string;
  role?: string;
  avatarUrl?: string;
}

/**
 * Which profiles have a signalling client connected to this process, per project. A profile may
 * have several connections (tabs, devices); it is connected while any of them is.
 */
@Injectable()
export class ConnectedClients {
  private readonly connections = new Map<string, Map<string, ClientIdentity | undefined>>();

  connect(projectId: string, profileId: string, connectionId: string, identity?: ClientIdentity): void {
    const key = keyOf(projectId, profileId);
    const ofProfile = this.connections.get(key) ?? new Map<string, ClientIdentity | undefined>();
    // Re-inserted so the most recent connection is last (identityOf prefers it).
    ofProfile.delete(connectionId);
    ofProfile.set(connectionId, identity);
    this.connections.set(key, ofProfile);
  }

  disconnect(projectId: string, profileId: string, connectionId: string): void {
    const key = keyOf(projectId, profileId);
    const ofProfile = this.connections.get(key);
    if (!ofProfile) return;
    ofProfile.delete(connectionId);
    if (ofProfile.size === 0) this.connections.delete(key);
  }

  isConnected(projectId: string, profileId: string): boolean {
    return this.connections.has(keyOf(projectId, profileId));
  }

  /** The identity of the profile's most recent connection that has one. */
  identityOf(projectId: string, profileId: string): ClientIdentity | undefined {
    const ofProfile = this.connections.get(keyOf(projectId, profileId));
    if (!ofProfile) return undefined;
    return [...ofProfile.values()].reverse().find((identity) => identity !== undefined);
  }
}

const keyOf = (projectId: string, profileId: string) => `${projectId}/${profileId}`;
