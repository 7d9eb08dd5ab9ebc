import { Module } from '@nestjs/common';
import { ProfileMessagesResolver } from './profile-messages.resolver.js';
import { ProfileMessages } from './profile-messages.service.js';

/** `Profile.messages`: what each profile was sent or why it was skipped. */
@Module({ providers: [ProfileMessages, ProfileMessagesResolver] })
export class MessagesModule {}
