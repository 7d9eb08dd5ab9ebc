import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import type { KeyKind } from '@boomerang/platform/auth';

@Entity({ name: 'api_key' })
export class ApiKeyEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid', { name: 'project_id' }) projectId: string;
  @Column('text') kind: KeyKind;
  @Column('text') name: string;
  /** SHA-256 of the key; the key itself is shown once and never stored. */
  @Column('text', { name: 'key_hash' }) keyHash: string;
  @Column('text') hint: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Column('timestamptz', { name: 'revoked_at', nullable: true }) revokedAt: Date | null;
}
