/*-------------------------------------------------------------------------
 *
 * consumer.h
 *	  Consumers with stored offsets (consumer.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef SPILLPOOL_CONSUMER_H
#define SPILLPOOL_CONSUMER_H

extern void consumer_forget_relation(Oid relid);

#endif							/* SPILLPOOL_CONSUMER_H */
