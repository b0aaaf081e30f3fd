# Writes synth.tar: a docker-save archive of 3 layers with file and opaque whiteouts.
import tarfile, io, hashlib, json, os
def layer(entries):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode='w', format=tarfile.PAX_FORMAT) as t:
        for name, kind, data in entries:
            ti = tarfile.TarInfo(name); ti.mtime = 0
            if kind == 'dir': ti.type = tarfile.DIRTYPE; ti.mode = 0o755; t.addfile(ti)
            elif kind == 'sym': ti.type = tarfile.SYMTYPE; ti.linkname = data; t.addfile(ti)
            else: ti.size = len(data); ti.mode = kind; t.addfile(ti, io.BytesIO(data))
    return b.getvalue()
bb = open('bb/x/bin/busybox','rb').read()
base = [('bin','dir',None), ('bin/busybox',0o755,bb)] + [('bin/'+a,'sym','busybox') for a in 'sh ls cat ps wget hostname ip grep'.split()] + [(d,'dir',None) for d in 'proc sys dev tmp etc'.split()]
l2 = [('data','dir',None),('data/a',0o644,b'one\n'),('data/sub','dir',None),('data/sub/b',0o644,b'two\n'),('keep',0o644,b'keep\n')]
l3 = [('bin','dir',None),('bin/.wh.wget',0o644,b''),('data','dir',None),('data/.wh.a',0o644,b''),('data/sub','dir',None),('data/sub/.wh..wh..opq',0o644,b''),('data/sub/c',0o644,b'new\n')]
layers = [layer(x) for x in (base, l2, l3)]
ids = ['sha256:'+hashlib.sha256(l).hexdigest() for l in layers]
cfg = json.dumps({'architecture':'amd64','os':'linux','config':{'Env':['PATH=/bin'],'Cmd':['/bin/sh']},'rootfs':{'type':'layers','diff_ids':ids}}).encode()
cfgname = hashlib.sha256(cfg).hexdigest()+'.json'
man = json.dumps([{'Config':cfgname,'RepoTags':['synth:wh'],'Layers':['l%d/layer.tar'%i for i in range(3)]}]).encode()
with tarfile.open('synth.tar','w') as t:
    for i,l in enumerate(layers):
        ti = tarfile.TarInfo('l%d/layer.tar'%i); ti.size=len(l); t.addfile(ti, io.BytesIO(l))
    for n,d in ((cfgname,cfg),('manifest.json',man)):
        ti = tarfile.TarInfo(n); ti.size=len(d); t.addfile(ti, io.BytesIO(d))
print(ids)
