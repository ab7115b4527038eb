# Tour of chapter 15, sourced by scripts/tour (helpers: chapter, say, notice, show; $BIN, $ROOTFS).
chapter "Chapter 15: a mini swarm: services across several hosts"
say "Three hosts on this machine (scripts/lab: namespaces, a bridge, a daemon each); host1 is the manager, host2 and host3 join."
export DOCKLING_LAB=tour DOCKLING_LAB_SUBNET=10.213.201.0/24
TOUR_LAB="$DOCKLING_REPO/scripts/lab"
export TOUR_LAB
show '$TOUR_LAB up 3 --build $BIN/..'
show '$TOUR_LAB exec 1 ch15-swarm node ls'
notice "host1 is the Leader: the manager with the store; every host runs an agent that asks it for its tasks"
show '$TOUR_LAB exec 1 ch15-swarm service create -d --name logger --replicas 3 busybox sh -c "while true; do echo Hello from replica \$(hostname); sleep 5; done" 2>/dev/null'
show 'sleep 2; $TOUR_LAB exec 1 ch15-swarm service ls'
show '$TOUR_LAB exec 1 ch15-swarm service ps logger'
notice "one replica on each host: the scheduler spreads a service's tasks over the nodes"
show 'sleep 1; $TOUR_LAB exec 1 ch15-swarm service logs logger'
notice "the manager collected the lines from every host's containers"
show '$TOUR_LAB exec 1 ch15-swarm service scale -d logger=5'
show 'sleep 2; $TOUR_LAB exec 1 ch15-swarm service ps logger'
say "Now host2 dies, the way a machine dies: no goodbye, its daemon, containers and link gone."
show '$TOUR_LAB kill 2'
show 'sleep 3; $TOUR_LAB exec 1 ch15-swarm node ls'
show '$TOUR_LAB exec 1 ch15-swarm service ps logger'
notice "host2 went silent for 1.5 s and was marked Down; its replicas run again on host1 and host3, the old ones stay as history"
show '$TOUR_LAB exec 1 ch15-swarm service rm logger'
show '$TOUR_LAB down'
unset DOCKLING_LAB DOCKLING_LAB_SUBNET
