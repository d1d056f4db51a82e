/**
 * The node API's group methods (PresenceNodeApi: createGroup ... groupOnline)
 * over the groups service: people named by alias or peer id, groups by id,
 * id prefix or name. PresenceNode extends this, which keeps its own module short.
 */
import { DeviceCommands } from './device-commands.js'
import type { GroupInfo, GroupInvitation, GroupMemberPresence, GroupMessage, GroupsService } from './groups/index.js'
import type { PeerId } from '@libp2p/interface'

export abstract class GroupCommands extends DeviceCommands {
  abstract get groupsService (): GroupsService
  abstract resolvePeer (aliasOrPeer: PeerId | string): string

  async createGroup (name: string, members: Array<PeerId | string> = []): Promise<GroupInfo> {
    return await this.groupsService.create(name, members.map(m => this.resolvePeer(m)))
  }

  async inviteToGroup (group: string, peer: PeerId | string): Promise<void> {
    await this.groupsService.invite(group, this.resolvePeer(peer))
  }

  async acceptGroup (group: string): Promise<GroupInfo> {
    return await this.groupsService.accept(group)
  }

  async declineGroup (group: string): Promise<void> {
    await this.groupsService.decline(group)
  }

  async leaveGroup (group: string): Promise<void> {
    await this.groupsService.leave(group)
  }

  async removeFromGroup (group: string, peer: PeerId | string): Promise<void> {
    await this.groupsService.remove(group, this.resolvePeer(peer))
  }

  async renameGroup (group: string, name: string): Promise<void> {
    await this.groupsService.rename(group, name)
  }

  async promoteInGroup (group: string, peer: PeerId | string): Promise<void> {
    await this.groupsService.promote(group, this.resolvePeer(peer))
  }

  groups (): GroupInfo[] {
    return this.groupsService.list()
  }

  group (group: string): GroupInfo {
    return this.groupsService.get(group)
  }

  groupInvitations (): GroupInvitation[] {
    return this.groupsService.invitations()
  }

  async sendToGroup (group: string, text: string): Promise<GroupMessage> {
    return await this.groupsService.send(group, text)
  }

  async groupHistory (group: string, limit?: number): Promise<GroupMessage[]> {
    return await this.groupsService.history(group, limit)
  }

  async groupUnread (): Promise<Record<string, number>> {
    return await this.groupsService.unread()
  }

  async groupUnreadMessages (group: string, limit?: number): Promise<GroupMessage[]> {
    return await this.groupsService.unreadMessages(group, limit)
  }

  async markGroupRead (group: string, ids?: string[]): Promise<number> {
    return await this.groupsService.markRead(group, ids)
  }

  groupOnline (group: string): GroupMemberPresence[] {
    return this.groupsService.online(group)
  }
}
