import { ConnectedClients } from './connected-clients.js';

describe('ConnectedClients', () => {
  const project = 'p1';
  let sut: ConnectedClients;
  beforeEach(() => (sut = new ConnectedClients()));

  it('is connected while any connection of the profile remains', () => {
    sut.connect(project, 'ann', 'c1');
    sut.connect(project, 'ann', 'c2');
    sut.disconnect(project, 'ann', 'c1');
    expect(sut.isConnected(project, 'ann')).toBe(true);
    sut.disconnect(project, 'ann', 'c2');
    expect(sut.isConnected(project, 'ann')).toBe(false);
    sut.disconnect(project, 'ann', 'c2');
    expect(sut.isConnected(project, 'ann')).toBe(false);
  });

  it('keeps projects and profiles apart', () => {
    sut.connect(project, 'ann', 'c1');
    expect(sut.isConnected('p2', 'ann')).toBe(false);
    expect(sut.isConnected(project, 'bob')).toBe(false);
  });

  it('answers the identity of the latest connection that has one', () => {
    sut.connect(project, 'ann', 'c1', { displayName: 'Courier' });
    sut.connect(project, 'ann', 'c2', { displayName: 'Delivery partner' });
    sut.connect(project, 'ann', 'c3');
    expect(sut.identityOf(project, 'ann')).toEqual({ displayName: 'Delivery partner' });
    sut.disconnect(project, 'ann', 'c2');
    expect(sut.identityOf(project, 'ann')).toEqual({ displayName: 'Courier' });
    expect(sut.identityOf(project, 'bob')).toBeUndefined();
  });
});
