#!/usr/bin/env python3
"""Random small ONNX graphs through the whole pipeline: compile (1 slice, 2 slices, and a
time budget of 5-12 ms, which cuts where the estimate says; graphs this small are
rarely split by channels), prove, verify. Each graph is 1-6 nodes drawn from the
supported ops, wired at random: operands reused (x op x), broadcast constants, layout
ops feeding arithmetic, Concat of any two tensors of matching shape, a second output. A crash (a signal, an assertion) or a
proof that does not verify is printed; a refusal is counted with its reason.
With MUTATE=K in the environment, each verified bundle is then changed K times, one
byte at a time at a random place (a random nonzero XOR), and each changed bundle must
be refused: one that verifies is printed as MUTANT ACCEPTED. With PRIVATE=1, each
graph's one-slice manifest is also proved with `prove --private` (the input not in the
proof) and verified, a refusal counted with its reason, and its mutants refused alike;
its other manifests (2 slices, the budget's) are proved with `prove --private --sliced`
(a private bundle, one proof a slice) the same way.
  python3 tests/fuzz/random_graphs.py build/circuits/zkslice FIRST_SEED COUNT [WORKDIR]
Needs the pip packages onnx and numpy. Not run by CI (a few minutes per 400 graphs).
"""
import onnx, numpy as np, json, random, sys, os, subprocess, tempfile
from onnx import helper, TensorProto, numpy_helper
Z = sys.argv[1]
def gen(seed, d):
    rnd=random.Random(seed)
    nodes=[]; inits=[]
    # tensors: name -> shape
    C=rnd.choice([1,2,3]); H=rnd.choice([2,3,4]); W=rnd.choice([2,4,5])
    shapes={'x':[1,C,H,W]}
    avail=['x']
    layout=[]
    cnt=[0]
    def new(prefix='t'):
        cnt[0]+=1; return f'{prefix}{cnt[0]}'
    def const(shape, scale=0.5):
        n=new('c'); inits.append(numpy_helper.from_array((np.random.RandomState(seed+cnt[0]).randn(*shape)*scale).astype(np.float32),n)); return n
    for k in range(rnd.randint(1,6)):
        op=rnd.choice(['Relu','Add','Mul','Sub','Sigmoid','Tanh','Reshape','Transpose','Concat','Conv','MaxPool','AveragePool','MatMul','Flatten','Div','Softmax','ReduceMean','Neg','Abs','LeakyRelu','Clip','Pad','Slice','Gemm',
                        'Elu','Softplus','HardSigmoid','Erf','Exp','GlobalAveragePool','GlobalMaxPool','ReduceSum',
                        'Unsqueeze','PRelu','ConvTranspose','BatchNormalization','Sum'])
        # Arithmetic after a layout op half the time: a layout output is virtual in the
        # proof unless read twice, which is where x op x went wrong.
        a=rnd.choice(layout) if layout and op in ('Add','Mul','Sub') and rnd.random()<0.5 else rnd.choice(avail)
        s=shapes[a]
        y=new()
        try:
            if op in ('Relu','Sigmoid','Tanh','Neg','Abs'):
                nodes.append(helper.make_node(op,[a],[y])); shapes[y]=s
            elif op in ('Elu','Softplus','HardSigmoid','Erf','Exp'):
                nodes.append(helper.make_node(op,[a],[y])); shapes[y]=s
            elif op in ('GlobalAveragePool','GlobalMaxPool'):
                if len(s)!=4: continue
                nodes.append(helper.make_node(op,[a],[y])); shapes[y]=[1,s[1],1,1]
            elif op=='ReduceSum':
                ax=numpy_helper.from_array(np.array([len(s)-1],dtype=np.int64),new('c')); inits.append(ax)
                nodes.append(helper.make_node(op,[a,ax.name],[y],keepdims=1)); shapes[y]=s[:-1]+[1]
            elif op=='Unsqueeze':
                ax=numpy_helper.from_array(np.array([len(s)],dtype=np.int64),new('c')); inits.append(ax)
                nodes.append(helper.make_node(op,[a,ax.name],[y])); shapes[y]=s+[1]
            elif op=='PRelu':
                if len(s)!=4: continue
                sl=const([s[1],1,1],0.3); nodes.append(helper.make_node(op,[a,sl],[y])); shapes[y]=s
            elif op=='ConvTranspose':
                if len(s)!=4: continue
                oc=rnd.choice([1,2]); k=2; w=const([s[1],oc,k,k]); st=rnd.choice([1,2])
                nodes.append(helper.make_node(op,[a,w],[y],kernel_shape=[k,k],strides=[st,st]))
                shapes[y]=[1,oc,(s[2]-1)*st+k,(s[3]-1)*st+k]
            elif op=='BatchNormalization':
                if len(s)!=4: continue
                sc=const([s[1]]); b=const([s[1]]); mu=const([s[1]]); var=new('c')
                inits.append(numpy_helper.from_array((np.abs(np.random.RandomState(seed).randn(s[1]))+0.5).astype(np.float32),var))
                nodes.append(helper.make_node(op,[a,sc,b,mu,var],[y])); shapes[y]=s
            elif op=='Sum':
                same=[t for t in avail if shapes[t]==s]
                nodes.append(helper.make_node(op,[a,rnd.choice(same),rnd.choice(same)],[y])); shapes[y]=s
            elif op=='LeakyRelu':
                nodes.append(helper.make_node(op,[a],[y],alpha=0.1)); shapes[y]=s
            elif op=='Clip':
                lo=numpy_helper.from_array(np.array(-0.5,dtype=np.float32),new('c')); hi=numpy_helper.from_array(np.array(0.5,dtype=np.float32),new('c')); inits+= [lo,hi]
                nodes.append(helper.make_node(op,[a,lo.name,hi.name],[y])); shapes[y]=s
            elif op in ('Add','Mul','Sub','Div'):
                same=[t for t in avail if shapes[t]==s]
                mode=rnd.choice(['same','self','const','bcast'])
                if mode=='self': b=a
                elif mode=='same': b=rnd.choice(same)
                elif mode=='const': b=const(s)
                else: b=const([1]*(len(s)-1)+[s[-1]])
                if op=='Div' and mode in ('const','bcast'):
                    b2=new('c'); inits.append(numpy_helper.from_array((np.abs(numpy_helper.to_array([i for i in inits if i.name==b][0]))+0.5).astype(np.float32),b2)); b=b2
                nodes.append(helper.make_node(op,[a,b],[y])); shapes[y]=s
            elif op=='Reshape':
                n=int(np.prod(s)); r=rnd.random()
                ns=[1,n] if r<0.4 else [1]+list(reversed(s[1:])) if r<0.7 else [s[1],n//s[1]] if len(s)>1 else [1,n]
                if int(np.prod(ns))!=n: ns=[1,n]  # [s1, rest]: rows for a Gemm or a MatMul
                sh=numpy_helper.from_array(np.array(ns,dtype=np.int64),new('c')); inits.append(sh)
                nodes.append(helper.make_node(op,[a,sh.name],[y])); shapes[y]=ns
            elif op=='Flatten':
                nodes.append(helper.make_node(op,[a],[y],axis=1)); shapes[y]=[s[0],int(np.prod(s[1:]))]
            elif op=='Transpose':
                perm=list(range(len(s))); rest=perm[1:]; rnd.shuffle(rest); perm=[0]+rest
                nodes.append(helper.make_node(op,[a],[y],perm=perm)); shapes[y]=[s[p] for p in perm]
            elif op=='Concat':
                b=rnd.choice([t for t in avail if len(shapes[t])==len(s) and shapes[t][0]==s[0] and shapes[t][2:]==s[2:]] if len(s)>2 else [t for t in avail if shapes[t]==s])
                nodes.append(helper.make_node(op,[a,b],[y],axis=1)); shapes[y]=[s[0],s[1]+shapes[b][1]]+s[2:]
            elif op=='Conv':
                if len(s)!=4: continue
                oc=rnd.choice([1,2,3]); k=rnd.choice([1,2,3]); 
                if k>s[2] or k>s[3]: k=1
                w=const([oc,s[1],k,k]); b=const([oc])
                pads=[rnd.choice([0,1])]*4 if k>1 else [0,0,0,0]
                nodes.append(helper.make_node(op,[a,w,b],[y],kernel_shape=[k,k],pads=pads))
                shapes[y]=[1,oc,s[2]+pads[0]*2-k+1,s[3]+pads[0]*2-k+1]
            elif op in ('MaxPool','AveragePool'):
                if len(s)!=4 or s[2]<2 or s[3]<2: continue
                nodes.append(helper.make_node(op,[a],[y],kernel_shape=[2,2],strides=[rnd.choice([1,2])]*2))
                st=nodes[-1].attribute[1].ints[0]
                shapes[y]=[1,s[1],(s[2]-2)//st+1,(s[3]-2)//st+1]
            elif op=='MatMul':
                mode=rnd.choice(['w','self'])
                if mode=='w': b=const([s[-1],rnd.choice([2,3,4])]); shapes[y]=s[:-1]+[numpy_helper.to_array([i for i in inits if i.name==b][0]).shape[1]]
                else:
                    # a @ a^T via transpose
                    if len(s)<2: continue
                    tname=new(); perm=list(range(len(s))); perm[-1],perm[-2]=perm[-2],perm[-1]
                    nodes.append(helper.make_node('Transpose',[a],[tname],perm=perm)); shapes[tname]=[s[p] for p in perm]; b=tname; shapes[y]=s[:-1]+[s[-2]]
                nodes.append(helper.make_node(op,[a,b],[y]))
            elif op=='Gemm':
                if len(s)!=2:  # rows first: [1, n] or [s1, n / s1] (a batch)
                    n=int(np.prod(s)); ns=[s[1],n//s[1]] if len(s)>1 and rnd.random()<0.5 else [1,n]
                    sh=numpy_helper.from_array(np.array(ns,dtype=np.int64),new('c')); inits.append(sh)
                    r2=new(); nodes.append(helper.make_node('Reshape',[a,sh.name],[r2])); shapes[r2]=ns; a=r2; s=ns
                w=const([s[1],3]); b=const([3])
                nodes.append(helper.make_node(op,[a,w,b],[y])); shapes[y]=[s[0],3]
            elif op=='Softmax':
                nodes.append(helper.make_node(op,[a],[y],axis=-1)); shapes[y]=s
            elif op=='ReduceMean':
                ax=rnd.randint(1,len(s)-1) if len(s)>1 else 0
                nodes.append(helper.make_node(op,[a],[y],axes=[ax],keepdims=1)); shapes[y]=[d if i!=ax else 1 for i,d in enumerate(s)]
            elif op=='Pad':
                if len(s)!=4: continue
                p=numpy_helper.from_array(np.array([0,0,1,0,0,0,0,1],dtype=np.int64),new('c')); inits.append(p)
                nodes.append(helper.make_node(op,[a,p.name],[y])); shapes[y]=[s[0],s[1],s[2]+1,s[3]+1]
            elif op=='Slice':
                ax=len(s)-1
                if s[ax]<2: continue
                st_=numpy_helper.from_array(np.array([1],dtype=np.int64),new('c')); en=numpy_helper.from_array(np.array([s[ax]],dtype=np.int64),new('c')); axs=numpy_helper.from_array(np.array([ax],dtype=np.int64),new('c')); inits+=[st_,en,axs]
                nodes.append(helper.make_node(op,[a,st_.name,en.name,axs.name],[y])); shapes[y]=s[:-1]+[s[-1]-1]
        except Exception as e:
            continue
        if y in shapes:
            avail.append(y)
            if op in ('Reshape','Transpose','Flatten','Slice','Pad'): layout.append(y)
    outs=[avail[-1]]
    if rnd.random()<0.3 and len(avail)>2: outs.append(avail[-2])
    outs=list(dict.fromkeys(outs))
    X=helper.make_tensor_value_info('x',TensorProto.FLOAT,shapes['x'])
    Ys=[helper.make_tensor_value_info(o,TensorProto.FLOAT,None) for o in outs]
    g=helper.make_graph(nodes,'g',[X],Ys,inits)
    m=helper.make_model(g,opset_imports=[helper.make_opsetid('',13)]); m.ir_version=8
    os.makedirs(d,exist_ok=True)
    onnx.save(m,f'{d}/model.onnx')
    x=np.random.RandomState(seed).randn(*shapes['x'])
    json.dump({'input_data':[x.flatten().tolist()],'input_shapes':[shapes['x']],'input_names':['x']},open(f'{d}/input.json','w'))
    return [n.op_type for n in nodes]

def run(cmd):
    r=subprocess.run(cmd,capture_output=True,text=True,timeout=120)
    return r.returncode, r.stderr+r.stdout

bad=0
stats={'compiled':0,'proved':0,'verified':0,'refused_compile':0,'refused_prove':0,'mutants_refused':0,
       'private_proved':0,'private_bundles':0,'private_verified':0,'refused_private':0}
mutate=int(os.environ.get('MUTATE','0'))
private=os.environ.get('PRIVATE','0')=='1'

def mutants(seed,slices,ops,d,proof=None):
    global bad
    proof=proof or f'{d}/b{slices}'
    orig=open(proof,'rb').read()
    rng=random.Random(seed*7+len(str(slices)))
    for _ in range(mutate):
        at=rng.randrange(len(orig)); b=bytearray(orig); b[at]^=rng.randrange(1,256)
        open(f'{d}/m{slices}','wb').write(bytes(b))
        rc,out=run([Z,'verify',f'{d}/c{slices}',f'{d}/m{slices}'])
        if rc==0: print('MUTANT ACCEPTED',seed,slices,ops,'byte',at,'of',len(orig)); bad+=1
        elif rc<0 or 'assert' in out: print('VERIFY CRASH',seed,slices,ops,'byte',at,rc,out[-300:]); bad+=1
        else: stats['mutants_refused']+=1
def private_proof(seed,slices,ops,d):
    global bad
    sliced=['--sliced'] if slices!=1 else []
    rc,out=run([Z,'prove',f'{d}/c{slices}','--input',f'{d}/input.json','--out',f'{d}/p{slices}','--private']+sliced)
    if rc<0 or 'assert' in out:
        print('PRIVATE PROVE CRASH',seed,ops,rc,out[-300:]); bad+=1; return
    if rc!=0:
        stats['refused_private']+=1; r='private: '+out.strip().splitlines()[-1][:80]; refuse(r,seed)
        if 'internal error' in out: print('PRIVATE PROVE ERR',seed,ops,out[-200:]); bad+=1
        return
    stats['private_proved']+=1
    if sliced: stats['private_bundles']+=1
    rc,out=run([Z,'verify',f'{d}/c{slices}',f'{d}/p{slices}'])
    if rc!=0: print('PRIVATE VERIFY FAIL',seed,slices,ops,rc,out[-300:]); bad+=1; return
    stats['private_verified']+=1
    if mutate: mutants(seed,slices,ops,d,f'{d}/p{slices}')
reasons={}  # reason -> [count, first seed]
def refuse(r,seed):
    reasons.setdefault(r,[0,seed])[0]+=1
start,count=int(sys.argv[2]),int(sys.argv[3])
work=sys.argv[4] if len(sys.argv)>4 else tempfile.mkdtemp()
for seed in range(start,start+count):
    d=f'{work}/m{seed}'
    ops=gen(seed,d)
    for slices in (1,2,'budget'):
        # 'budget': a small time budget (ms), so that large ops are split by channels.
        how=['--max-slice-ms',str(random.Random(seed).choice([5,8,12]))] if slices=='budget' else ['--slices',str(slices)]
        if slices!='budget' and slices>len(ops): continue
        rc,out=run([Z,'compile',f'{d}/model.onnx','--out',f'{d}/c{slices}']+how)
        if rc<0 or 'assert' in out or rc>2:
            print('COMPILE CRASH',seed,slices,ops,rc,out[-300:]); bad+=1; continue
        if rc!=0:
            stats['refused_compile']+=1; r=out.strip().splitlines()[-1][:90] if out.strip() else '?'; refuse(r,seed); continue
        stats['compiled']+=1
        rc,out=run([Z,'prove',f'{d}/c{slices}','--input',f'{d}/input.json','--out',f'{d}/b{slices}'])
        if rc<0 or 'assert' in out:
            print('PROVE CRASH',seed,slices,ops,rc,out[-300:]); bad+=1; continue
        if rc!=0:
            stats['refused_prove']+=1; r=out.strip().splitlines()[-1][:90]; refuse(r,seed)
            if 'not provable yet' not in out and 'bug' in out.lower(): print('PROVE ERR',seed,slices,ops,out[-200:])
            continue
        stats['proved']+=1
        rc,out=run([Z,'verify',f'{d}/c{slices}',f'{d}/b{slices}'])
        if rc==0:
            stats['verified']+=1
            if mutate: mutants(seed,slices,ops,d)
        if rc!=0: print('VERIFY FAIL',seed,slices,ops,rc,out[-300:]); bad+=1
        if private: private_proof(seed,slices,ops,d)
print('done',bad,stats)
for r,(n,first) in sorted(reasons.items(),key=lambda x:-x[1][0])[:15]: print(n,r,'(first: seed',first,')')
